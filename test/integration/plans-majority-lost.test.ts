import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import type { Plan } from '../../src/core/types.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../support/redis-cluster.ts';
import {
  type Harness,
  harness,
  missingKeys,
  planNow,
  stepKinds,
  userCheck,
  waitHealthy,
  waitReplicasCaughtUp,
  writeKeys,
} from './plans-support.ts';

describe('plan when two of three masters are lost, with spare nodes (write-up 001)', () => {
  let cluster: LocalCluster;
  let h: Harness;
  let written: Map<string, string>;
  let lost: LocalNode[];
  let plan: Plan;

  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, spares: 2, nodeTimeoutMs: 1000 });
    // The spares are found like pods of the StatefulSet: addresses outside the seeds.
    h = harness(cluster, () => cluster.spares.map((s) => s.addr));
    written = await writeKeys(cluster, 300);
    await waitReplicasCaughtUp(cluster);
    lost = cluster.masters().slice(0, 2);
    await Promise.all(lost.map((m) => cluster.kill(m)));
    // No majority: nobody can flag them failed, no replica can win an election; the slots stay down.
    const survivor = cluster.masters()[2]!;
    await cluster.waitFor(
      async () => (await cluster.cli(survivor, 'CLUSTER', 'INFO')).includes('cluster_state:fail'),
      20_000,
      'the cluster to go down',
    );
    await cluster.waitFor(
      async () => {
        const nodes = await cluster.cli(survivor, 'CLUSTER', 'NODES');
        return lost.every((m) => nodes.split('\n').some((l) => l.startsWith(m.id) && l.includes('fail?')));
      },
      20_000,
      'the survivor to suspect both lost masters',
    );
  });
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('plans TAKEOVER on the surviving replicas, forgets the dead, brings the spares in as their replicas', async () => {
    plan = await planNow(h);
    expect(stepKinds(plan)).toEqual([
      'failover:takeover',
      'failover:takeover',
      'forget',
      'forget',
      'meet',
      'meet',
      'replicate',
      'replicate',
    ]);
    const survivors = lost.map((m) => cluster.replicasOf(m)[0]!.id).sort();
    const followed = plan.steps.flatMap((s) => (s.kind === 'replicate' ? [s.masterId] : [])).sort();
    expect(followed).toEqual(survivors);
    expect(plan.approvalsNeeded).toBe(2);
    expect(plan.risk).toBe('high');
  });

  it('runs it to a healthy cluster with no key lost', async () => {
    const result = await executePlan(plan, h.deps);
    expect(result.status, result.detail).toBe('succeeded');
    expect(result.steps.every((s) => s.outcome === 'done')).toBe(true);
    for (const e of h.events.filter((x) => x.kind === 'done' && plan.steps[x.step]?.kind === 'forget')) {
      expect(e.metrics?.forgetSpreadMs).toBeLessThan(1000);
    }
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    expect(await missingKeys(cluster, written)).toEqual([]);
  });

  it('does nothing the second time, and says every step was already done', async () => {
    const again = await executePlan(plan, h.deps);
    expect(again.status).toBe('succeeded');
    expect(again.steps.every((s) => s.outcome === 'skipped')).toBe(true);
    expect(await userCheck(cluster)).toEqual([]);
  });
});
