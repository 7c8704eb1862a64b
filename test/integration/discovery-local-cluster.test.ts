import { describe, expect, it } from 'vitest';
import { startLocalCluster } from '../../src/sandbox/local-cluster.ts';
import { useCluster, useClusterTracker } from '../support/redis-cluster.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local cluster launcher', () => {
  const c = useCluster({ masters: 3, replicasPerMaster: 1, spares: 1 });

  it('builds 3 masters covering every slot, each with a synced replica, plus a spare alone', async () => {
    const cluster = c.current;
    expect(cluster.masters()).toHaveLength(3);
    expect(cluster.replicas()).toHaveLength(3);
    for (const n of cluster.nodes) {
      expect(n.port).toBeLessThan(22_000);
      expect(n.id).toMatch(/^[0-9a-f]{40}$/);
    }
    const info = await cluster.cli(cluster.nodes[0]!, 'CLUSTER', 'INFO');
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_slots_assigned:16384');
    for (const m of cluster.masters()) {
      const [r] = cluster.replicasOf(m);
      expect(await cluster.cli(r!, 'INFO', 'replication')).toContain('master_link_status:up');
    }
    expect(await cluster.cli(cluster.spares[0]!, 'CLUSTER', 'INFO')).toContain('cluster_known_nodes:1');
  });

  it('freezes and thaws a node', async () => {
    const cluster = c.current;
    const n = cluster.replicas()[0]!;
    cluster.freeze(n);
    expect(n.state).toBe('frozen');
    await expect(cluster.cli(n, 'PING')).rejects.toThrow();
    cluster.thaw(n);
    await cluster.waitFor(async () => (await cluster.cli(n, 'PING')) === 'PONG', 5000, 'thawed PING');
  });

  it('restarts a node with its nodes.conf (same id) and replaces one with a fresh empty node (new id)', async () => {
    const cluster = c.current;
    const r = cluster.replicas()[1]!;
    const id = r.id;
    await cluster.restartNode(r);
    expect(await cluster.cli(r, 'CLUSTER', 'MYID')).toBe(id);
    await cluster.waitHealthy();
    const r2 = cluster.replicas()[2]!;
    const fresh = await cluster.replaceNode(r2);
    expect(r2.state).toBe('killed');
    expect(fresh.addr).toBe(r2.addr);
    expect(fresh.id).not.toBe(r2.id);
    expect(await cluster.cli(fresh, 'CLUSTER', 'INFO')).toContain('cluster_known_nodes:1');
  });

  it('starts a fresh node on another loopback address, like a pod back with a new IP', async () => {
    const fresh = await c.current.startFreshNode({ host: '127.0.0.2' });
    expect(fresh.addr).toBe(`127.0.0.2:${fresh.port}`);
    expect(await c.current.cli(fresh, 'PING')).toBe('PONG');
    await c.current.kill(fresh);
    expect(fresh.state).toBe('killed');
  });

  describe('stop', () => {
    const tracker = useClusterTracker();
    it('kills every process it started, frozen ones included', async () => {
      const cluster = tracker.track(await startLocalCluster({ masters: 3, replicasPerMaster: 0 }));
      const fresh = await cluster.startFreshNode();
      cluster.freeze(cluster.nodes[0]!);
      const pids = cluster.all().map((n) => n.pid);
      expect(pids).toContain(fresh.pid);
      await cluster.stop();
      expect(pids.filter(isAlive)).toEqual([]);
    });
  });
});
