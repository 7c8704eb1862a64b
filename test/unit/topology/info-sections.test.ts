import { describe, expect, it } from 'vitest';
import { keysInDb0, splitInfoSections } from '../../../src/core/topology/info-sections.ts';
import { parseReplicationInfo } from '../../../src/core/topology/parse-info.ts';

const multi = [
  '# Server',
  'redis_version:7.0.15',
  'redis_mode:cluster',
  '',
  '# Replication',
  'role:slave',
  'master_host:10.0.0.1',
  'master_port:6379',
  'master_link_status:up',
  '',
  '# Keyspace',
  'db0:keys=42,expires=1,avg_ttl=0',
  'db1:keys=7,expires=0,avg_ttl=0',
  '',
].join('\r\n');

describe('INFO with several sections', () => {
  it('splits the text by section, each parser reading only its own lines', () => {
    const s = splitInfoSections(multi);
    expect(Object.keys(s)).toEqual(['server', 'replication', 'keyspace']);
    expect(s.server).toContain('redis_version:7.0.15');
    expect(s.server).not.toContain('role:');
    const repl = parseReplicationInfo(s.replication ?? '');
    expect(repl.ok && repl.value.role).toBe('slave');
    expect(repl.ok && Object.keys(repl.value.raw)).not.toContain('redis_version');
  });

  it('counts the keys of db 0, and 0 for an empty keyspace section', () => {
    expect(keysInDb0(splitInfoSections(multi).keyspace ?? '')).toBe(42);
    expect(keysInDb0(splitInfoSections('# Keyspace\r\n').keyspace ?? 'absent')).toBe(0);
  });
});
