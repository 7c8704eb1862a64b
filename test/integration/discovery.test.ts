import { describe, expect, it } from 'vitest';
import { scanCluster } from '../../src/adapters/redis/scanner.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { Finding, Topology } from '../../src/core/types.ts';
import type { LocalCluster, LocalNode } from '../../src/sandbox/local-cluster.ts';
import { withCluster } from '../support/redis-cluster.ts';

const scan = (c: LocalCluster, opts: { extraAddrs?: string[]; timeoutMs?: number } = {}) =>
  scanCluster(
    { name: 'test', seeds: c.addrs(), auth: c.password ? { password: c.password } : {} },
    { timeoutMs: 1000, ...opts },
  );

const codes = (fs: Finding[]) => fs.map((f) => f.code);
const find = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);

/** Every running member (as built) flags `dead` as `fail` (not only `fail?`). */
async function waitUntilFailed(c: LocalCluster, dead: LocalNode): Promise<void> {
  await c.waitFor(
    async () => {
      for (const n of c.nodes.filter((x) => x.state === 'running')) {
        const line = (await c.cli(n, 'CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(dead.id));
        if (!line || !(line.split(' ')[2] ?? '').split(',').includes('fail')) return false;
      }
      return true;
    },
    20_000,
    `every node to flag ${dead.addr} as failed`,
  );
}

describe('discovery on a real cluster', () => {
  describe('when a master dies, its replica takes over and the restarted pod comes back alone on a new port', () => {
    it('reports the failed node, the orphaned master and the live node outside the cluster', async () => {
      await withCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }, async (c) => {
        const master = c.masters()[0]!;
        const replica = c.replicasOf(master)[0]!;
        await c.kill(master);
        await c.waitFor(
          async () => (await c.roleOf(replica)) === 'master',
          20_000,
          'the replica to take over',
        );
        await waitUntilFailed(c, master);
        await c.waitHealthy();
        const fresh = await c.startFreshNode();

        const topology = await scan(c, { extraAddrs: [fresh.addr] });
        const findings = analyzeTopology(topology);

        expect(codes(findings)).toEqual(
          expect.arrayContaining(['node-failed', 'master-orphaned', 'node-outside-cluster']),
        );
        expect(find(findings, 'node-failed').flatMap((f) => f.nodes)).toContain(master.id);
        expect(find(findings, 'master-orphaned').flatMap((f) => f.nodes)).toContain(replica.id);
        const outside = find(findings, 'node-outside-cluster');
        expect(outside.flatMap((f) => [...(f.addrs ?? []), ...f.nodes])).toEqual(
          expect.arrayContaining([fresh.addr]),
        );
        // the dead master was asked (it is in every view) and refused
        expect(topology.probes.find((p) => p.addr === master.addr)?.outcome).toBe('refused');
        expect(topology.outsiders.map((o) => o.addr)).toEqual([fresh.addr]);
        for (const f of findings) expect(f.evidence.length).toBeGreaterThan(0);
      });
    });
  });

  describe('when a master without a replica dies (write-up 002, part 1)', () => {
    it('reports its slots as served by nobody and cluster_state:fail', async () => {
      await withCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000 }, async (c) => {
        const master = c.masters()[1]!;
        const slots = (await c.cli(master, 'CLUSTER', 'NODES'))
          .split('\n')
          .find((l) => l.includes('myself'))!
          .split(' ')
          .slice(8)
          .join(' ');
        await c.kill(master);
        await waitUntilFailed(c, master);
        await c.waitFor(
          async () => (await c.cli(c.masters()[0]!, 'CLUSTER', 'INFO')).includes('cluster_state:fail'),
          10_000,
          'cluster_state:fail',
        );

        const findings = analyzeTopology(await scan(c));

        // The dead master still owns its slots on paper; nothing serves them.
        const onFailed = find(findings, 'slots-on-failed-master');
        expect(onFailed).toHaveLength(1);
        expect(onFailed[0]!.nodes).toContain(master.id);
        expect(onFailed[0]!.summary).toContain(slots);
        expect(onFailed[0]!.severity).toBe('critical');
        expect(codes(findings)).toContain('cluster-state-fail');
        expect(codes(findings)).toContain('node-failed');
      });
    });
  });

  describe('when a replica set to cluster-replica-no-failover loses its master', () => {
    it('names the replica as unable to fail over', async () => {
      await withCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }, async (c) => {
        const master = c.masters()[2]!;
        const replica = c.replicasOf(master)[0]!;
        await c.cli(replica, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'yes');
        await c.waitFor(
          async () =>
            (await c.cli(c.masters()[0]!, 'CLUSTER', 'NODES'))
              .split('\n')
              .some((l) => l.startsWith(replica.id) && l.includes('nofailover')),
          10_000,
          'the nofailover flag to spread',
        );
        await c.kill(master);
        await waitUntilFailed(c, master);

        const topology = await scan(c);
        const findings = analyzeTopology(topology);

        expect(await c.roleOf(replica)).toBe('replica');
        const cannot = find(findings, 'replica-cannot-failover');
        expect(cannot).toHaveLength(1);
        expect(cannot[0]!.nodes).toContain(replica.id);
        expect(cannot[0]!.severity).toBe('critical');
        expect(cannot[0]!.evidence.join(' ')).toMatch(/nofailover/);
      });
    });
  });

  describe('when a node is frozen (accepts TCP, never answers)', () => {
    it('returns within its timeout and names the node unreachable (timeout)', async () => {
      await withCluster({ masters: 3, replicasPerMaster: 1 }, async (c) => {
        const frozen = c.replicas()[1]!;
        c.freeze(frozen);
        const timeoutMs = 500;
        const t0 = performance.now();
        let topology: Topology;
        try {
          topology = await scan(c, { timeoutMs });
        } finally {
          c.thaw(frozen);
        }
        const ms = performance.now() - t0;
        // The feature itself: the scan is bounded by the per-node timeout (plus a margin for a busy box).
        expect(ms).toBeLessThan(timeoutMs + 400);
        const probe = topology.probes.find((p) => p.addr === frozen.addr);
        expect(probe?.outcome).toBe('timeout');
        const node = topology.nodes.find((n) => n.id === frozen.id);
        expect(node?.reachable).toBe(false);
        expect(node?.health).toBe('unreachable');
        const findings = analyzeTopology(topology);
        expect(find(findings, 'node-unreachable').flatMap((f) => f.nodes)).toContain(frozen.id);
        // everyone else answered
        expect(topology.probes.filter((p) => p.outcome === 'ok')).toHaveLength(5);
      });
    });
  });

  describe('when the seeds point at a standalone Redis or at nothing', () => {
    it('says standalone for cluster_enabled:0 and refused for a closed port', async () => {
      const { startRedis, pickFreePort } = await import('../../src/sandbox/local-cluster.ts');
      const r = await startRedis();
      try {
        const closed = `127.0.0.1:${await pickFreePort()}`;
        const t = await scanCluster({ name: 's', seeds: [r.addr, closed], auth: {} }, { timeoutMs: 500 });
        expect(t.mode).toBe('standalone');
        expect(t.probes.find((p) => p.addr === r.addr)?.clusterEnabled).toBe(false);
        expect(t.probes.find((p) => p.addr === closed)?.outcome).toBe('refused');
      } finally {
        await r.stop();
      }
    });
  });
});
