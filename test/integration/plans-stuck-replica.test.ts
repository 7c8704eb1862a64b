import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { type LocalCluster, startLocalCluster, useClusterTracker } from '../support/redis-cluster.ts';
import {
  clusterShape,
  harness,
  missingKeys,
  planNow,
  stepKinds,
  userCheck,
  waitHealthy,
  waitReplicasCaughtUp,
  writeKeys,
} from './plans-support.ts';

/** A master dies and its replica (cluster-replica-no-failover) stays a replica: the slots are down. */
async function stuckReplica(cluster: LocalCluster) {
  const master = cluster.masters()[0]!;
  const replica = cluster.replicasOf(master)[0]!;
  await cluster.call(replica, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'yes');
  const written = await writeKeys(cluster, 200);
  await waitReplicasCaughtUp(cluster);
  await cluster.kill(master);
  const other = cluster.masters()[1]!;
  await cluster.waitFor(
    async () => {
      const nodes = await cluster.cli(other, 'CLUSTER', 'NODES');
      const line = nodes.split('\n').find((l) => l.startsWith(master.id));
      return Boolean(line?.split(' ')[2]?.split(',').includes('fail'));
    },
    20_000,
    'the cluster to flag the master failed',
  );
  return { master, replica, written };
}

describe('plan for a stuck replica (its master failed, it did not take over)', () => {
  const tracker = useClusterTracker();

  it('forces the failover on the replica, and the cluster serves every slot with no key lost', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    );
    const h = harness(cluster);
    try {
      const { master, replica, written } = await stuckReplica(cluster);
      await cluster.waitFor(
        async () => (await cluster.cli(replica, 'CLUSTER', 'INFO')).includes('cluster_state:fail'),
        10_000,
        'the cluster to be down',
      );

      const plan = await planNow(h);
      expect(stepKinds(plan)).toEqual(['failover:force']);
      expect(plan.steps[0]).toMatchObject({ addr: replica.addr, replicaId: replica.id, masterId: master.id });

      const result = await executePlan(plan, h.deps);
      expect(result.status, result.detail).toBe('succeeded');
      expect(await cluster.roleOf(replica)).toBe('master');
      expect(await missingKeys(cluster, written)).toEqual([]);

      // The old master comes back with its nodes.conf and follows the new master.
      await cluster.restartNode(master);
      await waitHealthy(cluster);
      expect(await cluster.roleOf(master)).toBe('replica');
      expect(await userCheck(cluster)).toEqual([]);
      expect(await missingKeys(cluster, written)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('stops at its first step when a hand fix overtook it, and leaves the cluster as the hand fix left it', async () => {
    const cluster = tracker.track(
      await startLocalCluster({
        masters: 3,
        replicasPerMaster: 1,
        nodeTimeoutMs: 1000,
        extraConfig: ['appendonly yes'],
      }),
    );
    const h = harness(cluster);
    try {
      const { master, replica } = await stuckReplica(cluster);
      const plan = await planNow(h);
      expect(stepKinds(plan)).toEqual(['failover:force']);

      // The hand fix: someone restarts the old master; it comes back as master of its slots.
      await cluster.restartNode(master);
      await waitHealthy(cluster);
      const before = await clusterShape(cluster);

      const result = await executePlan(plan, h.deps);
      expect(result.status).toBe('stale');
      expect(result.stoppedAt).toBe(0);
      expect(result.detail).toMatch(/nothing touched/);
      expect(result.detail).toMatch(/is back and healthy/);
      expect(h.events.map((e) => e.kind)).toEqual(['stale', 'finished']);

      expect(await cluster.roleOf(master)).toBe('master');
      expect(await cluster.roleOf(replica)).toBe('replica');
      expect(await clusterShape(cluster)).toBe(before);
      expect(await userCheck(cluster)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
