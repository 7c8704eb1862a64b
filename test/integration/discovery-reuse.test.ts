import { afterAll, describe, expect, it } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import { useCluster } from '../support/redis-cluster.ts';

describe('a source asked to reuse an unchanged picture (the watcher on quiet rounds)', () => {
  const c = useCluster({ masters: 3, replicasPerMaster: 1 });
  const commander = createNodeCommander({}, { timeoutMs: 500 });
  afterAll(() => commander.close());
  const source = () => {
    const def: ClusterDefinition = { name: 'reuse', seeds: [c.current.nodes[0]!.addr], auth: {} };
    return createTopologySource(def, { commander, timeoutMs: 500 });
  };

  it('gives back the same picture while nothing changed, even as ping/pong times and offsets move', async () => {
    const s = source();
    const write = async (key: string) => {
      const replies = await Promise.all(
        c.current.masters().map((m) => c.current.cli(m, 'SET', key, 'v').catch(() => 'MOVED')),
      );
      expect(replies).toContain('OK');
    };
    await write('{a}k1');
    const first = await s.scan({ reuseUnchanged: true });
    // A write moves the replication offsets on (on whichever master owns the key's slot).
    await write('{a}k2');
    // Gossip moves the pong times on between the two scans.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await s.scan({ reuseUnchanged: true })).toBe(first);
    // Without asking, every scan is a fresh picture.
    const fresh = await s.scan();
    expect(fresh).not.toBe(first);
    expect(fresh.fingerprint).toBe(first.fingerprint);
  });

  it('gives a new picture, with the finding, as soon as a node stops answering', async () => {
    const s = source();
    const first = await s.scan({ reuseUnchanged: true });
    const before = analyzeTopology(first).map((f) => f.code);
    const replica = c.current.replicas()[0]!;
    c.current.freeze(replica);
    try {
      const next = await s.scan({ reuseUnchanged: true });
      expect(next).not.toBe(first);
      expect(next.probes.find((p) => p.addr === replica.addr)?.outcome).toBe('timeout');
      expect(analyzeTopology(next).map((f) => f.code)).not.toEqual(before);
      expect(
        analyzeTopology(next).some((f) => f.addrs?.includes(replica.addr) || f.nodes.includes(replica.id)),
      ).toBe(true);
    } finally {
      c.current.thaw(replica);
    }
  });
});
