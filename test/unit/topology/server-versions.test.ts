/**
 * The parsers against text recorded from each real server (scripts/record-version-fixtures.sh), and the
 * version-dependent decisions of server-traits.ts.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  clusterTraits,
  compareVersions,
  describeServers,
  explainSetSlotNoReplicas,
  forgetUnreachedNote,
  parseClusterInfo,
  parseClusterNodes,
  parseReplicationInfo,
  parseServerInfo,
  setSlotTimeoutMs,
} from '../../../src/core/topology/index.ts';
import type { ServerIdentity } from '../../../src/core/types.ts';
import { fixture } from './helpers.ts';

const recorded = readdirSync(fileURLToPath(new URL('../../fixtures/versions/', import.meta.url)), {
  withFileTypes: true,
})
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function ok<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const redis = (version: string): ServerIdentity => ({ name: 'redis', version });
const valkey = (version: string): ServerIdentity => ({ name: 'valkey', version });

describe('text recorded from real servers', () => {
  it('covers Redis 7.0 and at least one newer server', () => {
    expect(recorded).toContain('redis-7.0.15');
    expect(recorded.length).toBeGreaterThan(1);
  });

  describe.each(recorded)('%s', (dir) => {
    const read = (file: string) => fixture(`versions/${dir}/${file}`);

    it('INFO server names the server and its own version', () => {
      const server = ok(parseServerInfo(read('info-server.txt')));
      expect(`${server.name}-${server.version}`).toBe(dir);
    });

    it('CLUSTER NODES reads on a master, on the node announcing a hostname and on a replica', () => {
      for (const file of [
        'cluster-nodes-migrating.txt',
        'cluster-nodes-hostname.txt',
        'cluster-nodes-replica.txt',
      ]) {
        const views = ok(parseClusterNodes(read(file)));
        expect(views).toHaveLength(6);
        expect(views.filter((v) => v.flags.includes('myself'))).toHaveLength(1);
        expect(views.filter((v) => v.masterId !== null)).toHaveLength(3);
        const named = views.filter((v) => v.hostname !== undefined);
        expect(named.map((v) => v.hostname)).toEqual(['redis-cluster-1.redis-cluster']);
        expect(named[0]?.addr).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      const source = ok(parseClusterNodes(read('cluster-nodes-migrating.txt'))).find((v) =>
        v.flags.includes('myself'),
      );
      expect(source?.migrating.map((m) => m.slot)).toEqual([100]);
      const target = ok(parseClusterNodes(read('cluster-nodes-hostname.txt'))).find((v) =>
        v.flags.includes('myself'),
      );
      expect(target?.importing.map((m) => m.slot)).toEqual([100]);
    });

    it('nodes.conf lines (with the aux fields newer servers add) read as CLUSTER NODES', () => {
      const lines = read('nodes-conf.txt')
        .split('\n')
        .filter((l) => !l.startsWith('vars '));
      const views = ok(parseClusterNodes(lines.join('\n')));
      expect(views).toHaveLength(6);
      expect(views.every((v) => v.addr?.startsWith('127.0.0.1:'))).toBe(true);
    });

    it('CLUSTER INFO and INFO replication read on master and replica', () => {
      expect(ok(parseClusterInfo(read('cluster-info.txt'))).state).toBe('ok');
      const master = ok(parseReplicationInfo(read('info-replication-master.txt')));
      expect(master.role).toBe('master');
      expect(master.replicas).toHaveLength(1);
      expect(master.replicas[0]?.state).toBe('online');
      const replica = ok(parseReplicationInfo(read('info-replication-replica.txt')));
      expect(replica).toMatchObject({ role: 'slave', masterLinkStatus: 'up' });
    });
  });
});

describe('parseServerInfo', () => {
  it("prefers Valkey's own version over the redis_version it keeps for old clients", () => {
    const text = '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n';
    expect(parseServerInfo(text)).toEqual({ ok: true, value: valkey('8.0.1') });
  });

  it('refuses a server that is neither Redis nor Valkey, and text without a version', () => {
    expect(parseServerInfo('redis_version:7.2.0\nserver_name:dragonfly\n')).toMatchObject({ ok: false });
    expect(parseServerInfo('# Server\nos:Linux\n')).toMatchObject({ ok: false, error: /no redis_version/ });
    expect(parseServerInfo('redis_version:unknown\n')).toMatchObject({ ok: false, error: /not a version/ });
  });
});

describe('compareVersions', () => {
  it('orders by major, minor, patch, numerically', () => {
    expect(compareVersions('7.0.15', '7.2')).toBeLessThan(0);
    expect(compareVersions('7.10.0', '7.9.9')).toBeGreaterThan(0);
    expect(compareVersions('8.0.0-rc1', '8.0')).toBe(0);
    expect(compareVersions('255.255.255', '8.1')).toBeGreaterThan(0);
  });
});

describe('clusterTraits', () => {
  it('Redis 7.0 does not gossip FORGET: every node must get it inside the ban', () => {
    expect(clusterTraits([redis('7.0.15'), redis('7.0.15')]).forgetGossiped).toBe(false);
  });

  it('Redis 7.2+ and every Valkey gossip FORGET', () => {
    expect(clusterTraits([redis('7.2.6'), redis('7.4.1')]).forgetGossiped).toBe(true);
    expect(clusterTraits([valkey('7.2.7'), valkey('8.0.1')]).forgetGossiped).toBe(true);
  });

  it('one 7.0 node or one node of unknown version takes the safe side', () => {
    expect(clusterTraits([redis('7.4.1'), redis('7.0.15')]).forgetGossiped).toBe(false);
    expect(clusterTraits([redis('7.4.1'), undefined])).toMatchObject({ forgetGossiped: false, unknown: 1 });
    expect(clusterTraits([]).forgetGossiped).toBe(false);
  });

  it('CLUSTER SETSLOT waits for replicas from Valkey 8.0 on only', () => {
    expect(clusterTraits([valkey('8.0.1')]).setSlotWaitsForReplicas).toBe(true);
    expect(clusterTraits([valkey('7.2.7'), redis('7.4.1')]).setSlotWaitsForReplicas).toBe(false);
  });
});

describe('describeServers', () => {
  it('names one server once and counts a mixed cluster, commonest first', () => {
    expect(describeServers([redis('7.0.15'), redis('7.0.15')])).toBe('Redis 7.0.15');
    expect(describeServers([redis('7.2.6'), valkey('8.0.1'), valkey('8.0.1'), undefined])).toBe(
      'Valkey 8.0.1 ×2, Redis 7.2.6 ×1',
    );
    expect(describeServers([undefined])).toBeUndefined();
  });
});

describe('forgetUnreachedNote', () => {
  it('on Redis 7.0 tells that an unreached member brings the id back after the ban', () => {
    const note = forgetUnreachedNote(clusterTraits([redis('7.0.15')]), ['10.0.0.9:6379']);
    expect(note).toContain('10.0.0.9:6379');
    expect(note).toMatch(/bring the id back once the ban ends/);
  });

  it('on Valkey and Redis 7.2+ tells that gossip carries the FORGET to it', () => {
    for (const s of [valkey('8.0.1'), redis('7.2.6')]) {
      expect(forgetUnreachedNote(clusterTraits([s]), ['10.0.0.9:6379'])).toMatch(/gossip carries it/);
    }
  });

  it('says nothing when every member was reached', () => {
    expect(forgetUnreachedNote(clusterTraits([redis('7.0.15')]), [])).toBe('');
  });
});

describe('CLUSTER SETSLOT per server', () => {
  it("waits past Valkey 8's own 2 s wait for the replicas, also when the server is unknown", () => {
    expect(setSlotTimeoutMs(valkey('8.0.1'), 1000)).toBe(3000);
    expect(setSlotTimeoutMs(undefined, 1000)).toBe(3000);
  });

  it('keeps the default on Redis and Valkey 7.2, which apply it at once', () => {
    expect(setSlotTimeoutMs(redis('7.0.15'), 1000)).toBeUndefined();
    expect(setSlotTimeoutMs(redis('7.4.1'), 1000)).toBeUndefined();
    expect(setSlotTimeoutMs(valkey('7.2.7'), 1000)).toBeUndefined();
  });

  it('explains NOREPLICAS: which replica held it back, that nothing changed, what to do', () => {
    const text = explainSetSlotNoReplicas('10.0.0.2:6379', valkey('8.0.1'), 'CLUSTER SETSLOT 42 NODE abc', [
      '10.0.0.5:6379',
    ]);
    expect(text).toContain(
      '10.0.0.2:6379 (Valkey 8.0.1) refused CLUSTER SETSLOT 42 NODE abc with NOREPLICAS',
    );
    expect(text).toContain('10.0.0.5:6379 did not acknowledge within 2 s');
    expect(text).toContain('Nothing changed on 10.0.0.2:6379');
  });
});
