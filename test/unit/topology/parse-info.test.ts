import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseClusterInfo,
  parseInfo,
  parsePersistenceInfo,
  parseReplicationInfo,
} from '../../../src/core/topology/index.ts';
import { infoValue } from '../../../src/core/topology/parse-info.ts';
import { fixture } from './helpers.ts';

function ok<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('infoValue', () => {
  it("gives every field of every recorded server's INFO texts as parseInfo does", () => {
    const root = new URL('../../fixtures/versions/', import.meta.url);
    let fields = 0;
    for (const version of readdirSync(root)) {
      for (const file of readdirSync(new URL(`${version}/`, root)).filter((f) =>
        /^(info|cluster-info)/.test(f),
      )) {
        const text = readFileSync(new URL(`${version}/${file}`, root), 'utf8');
        for (const [field, value] of Object.entries(parseInfo(text))) {
          expect(infoValue(text, field), `${version}/${file} ${field}`).toBe(value);
          fields++;
        }
        expect(infoValue(text, 'no_such_field')).toBeUndefined();
      }
    }
    expect(fields).toBeGreaterThan(100);
  });

  it('reads a field only at the start of a line, CRLF and indentation as parseInfo', () => {
    const text = '# Persistence\r\nxloading:7\r\n  loading:0\r\naof_enabled:1';
    expect(infoValue(text, 'loading')).toBe('0');
    expect(infoValue(text, 'aof_enabled')).toBe('1');
    expect(infoValue(text, 'oading')).toBeUndefined();
  });
});

describe('parseInfo', () => {
  it('reads fields across sections, with CRLF and # headers', () => {
    const raw = parseInfo(
      '# Server\r\nredis_version:7.0.15\r\n\r\n# Replication\r\nrole:master\r\nmaster_replid:abc:def\r\n',
    );
    expect(raw).toEqual({ redis_version: '7.0.15', role: 'master', master_replid: 'abc:def' });
  });
});

describe('parseClusterInfo', () => {
  it('reads the failing 3-master cluster of write-up 002', () => {
    const info = ok(parseClusterInfo(fixture('cluster-info/002-three-masters-one-failed.txt')));
    expect(info).toMatchObject({
      state: 'fail',
      slotsAssigned: 16384,
      slotsOk: 10922,
      slotsFail: 5462,
      knownNodes: 3,
      size: 3,
      currentEpoch: 3,
      myEpoch: 1,
    });
    expect(info.raw.cluster_stats_messages_fail_received).toBe('1');
  });

  it('reads the restarted Bitnami pod that knows only itself (write-up 004)', () => {
    const info = ok(parseClusterInfo(fixture('cluster-info/004-bitnami-new-pod-alone.txt')));
    expect(info).toMatchObject({ state: 'fail', knownNodes: 1, slotsAssigned: 0, size: 0 });
  });

  it('refuses text without cluster_state and quotes it', () => {
    const r = parseClusterInfo('ERR This instance has cluster support disabled');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('ERR This instance has cluster support disabled');
  });

  it('refuses an unknown cluster_state', () => {
    const r = parseClusterInfo('cluster_state:maybe\n');
    expect(!r.ok && r.error).toContain('maybe');
  });
});

describe('parseReplicationInfo', () => {
  it('reads a master with its replica lines', () => {
    const info = ok(
      parseReplicationInfo(
        [
          '# Replication',
          'role:master',
          'connected_slaves:2',
          'slave0:ip=10.42.2.77,port=6379,state=online,offset=1897,lag=0',
          'slave1:ip=10.42.2.80,port=6379,state=wait_bgsave,offset=0,lag=12',
          'master_replid:48d106616d275a26ddf91c34bc5f0a5e923442a6',
          'master_repl_offset:1897',
          '',
        ].join('\r\n'),
      ),
    );
    expect(info.role).toBe('master');
    expect(info.connectedSlaves).toBe(2);
    expect(info.masterReplOffset).toBe(1897);
    expect(info.replicas).toEqual([
      { ip: '10.42.2.77', port: 6379, state: 'online', offset: 1897, lag: 0 },
      { ip: '10.42.2.80', port: 6379, state: 'wait_bgsave', offset: 0, lag: 12 },
    ]);
  });

  it('reads a replica whose link to its master is down', () => {
    const info = ok(
      parseReplicationInfo(
        [
          'role:slave',
          'master_host:10.42.2.79',
          'master_port:6379',
          'master_link_status:down',
          'master_last_io_seconds_ago:-1',
          'master_sync_in_progress:0',
          'slave_repl_offset:1897',
          'master_link_down_since_seconds:21',
          'slave_priority:100',
          'connected_slaves:0',
          'master_repl_offset:1897',
        ].join('\n'),
      ),
    );
    expect(info).toMatchObject({
      role: 'slave',
      masterHost: '10.42.2.79',
      masterPort: 6379,
      masterLinkStatus: 'down',
      masterLastIoSecondsAgo: -1,
      masterSyncInProgress: false,
      slaveReplOffset: 1897,
      masterLinkDownSinceSeconds: 21,
      replicas: [],
    });
  });

  it('refuses text without a role', () => {
    const r = parseReplicationInfo('# Replication\nconnected_slaves:0\n');
    expect(!r.ok && r.error).toContain('connected_slaves:0');
  });

  it('refuses an unreadable slave line and quotes it', () => {
    const r = parseReplicationInfo('role:master\nslave0:garbage\n');
    expect(!r.ok && r.error).toContain('slave0:garbage');
  });
});

describe('parsePersistenceInfo', () => {
  const text = [
    '# Persistence',
    'loading:0',
    'rdb_changes_since_last_save:71',
    'rdb_last_bgsave_status:ok',
    'aof_enabled:0',
    'aof_last_write_status:ok',
  ].join('\n');

  it('reads a master without AOF and, when given, its save config', () => {
    const info = ok(parsePersistenceInfo(text, ''));
    expect(info).toMatchObject({
      aofEnabled: false,
      loading: false,
      rdbChangesSinceLastSave: 71,
      rdbLastBgsaveStatus: 'ok',
      aofLastWriteStatus: 'ok',
      saveConfig: '',
    });
  });

  it('leaves the save config unknown when CONFIG could not be read', () => {
    expect(ok(parsePersistenceInfo(text)).saveConfig).toBeUndefined();
  });

  it('reads AOF on', () => {
    expect(ok(parsePersistenceInfo('aof_enabled:1\nloading:1\n', '3600 1')).aofEnabled).toBe(true);
  });

  it('refuses text without aof_enabled', () => {
    const r = parsePersistenceInfo('NOAUTH Authentication required.');
    expect(!r.ok && r.error).toContain('NOAUTH Authentication required.');
  });
});
