import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import type { Plan } from '../../src/core/types.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../support/redis-cluster.ts';
import {
  clusterClient,
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

describe('plan for a replaced pod (write-ups 000 and 004)', () => {
  let cluster: LocalCluster;
  let h: Harness;
  let written: Map<string, string>;
  let fresh: LocalNode;
  let plan: Plan;

  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    // The new pod is found like Kubernetes would list it: an address outside the seeds.
    h = harness(cluster, () => (fresh ? [fresh.addr] : []));
    written = await writeKeys(cluster, 300);
    await waitReplicasCaughtUp(cluster);
    // The master's pod is deleted; its replica takes over; the pod comes back with a new IP, a new id, no data.
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    await cluster.kill(master);
    await cluster.waitFor(
      async () => (await cluster.roleOf(replica)) === 'master',
      20_000,
      'the replica to take over',
    );
    fresh = await cluster.startFreshNode();
    await cluster.waitFor(
      async () => (await cluster.cli(cluster.masters()[1]!, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      20_000,
      'the cluster to serve every slot again',
    );
  });
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('plans: forget the dead id everywhere, meet the new node, make it the replica of the orphaned master', async () => {
    plan = await planNow(h);
    expect(stepKinds(plan)).toEqual(['forget', 'meet', 'replicate']);
    const replica = cluster.replicasOf(cluster.masters()[0]!)[0]!;
    expect(plan.steps[1]).toMatchObject({ kind: 'meet', addr: fresh.addr });
    expect(plan.steps[2]).toMatchObject({ kind: 'replicate', addr: fresh.addr, masterId: replica.id });
    expect(plan.risk).toBe('low');
  });

  it('runs it to a healthy cluster with no key lost', async () => {
    const result = await executePlan(plan, h.deps);
    expect(result.status, result.detail).toBe('succeeded');
    expect(result.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'done']);
    const forget = h.events.find((e) => e.step === 0 && e.kind === 'done');
    expect(forget?.metrics?.forgetSpreadMs).toBeLessThan(1000);
    expect(h.events.filter((e) => e.kind === 'started').map((e) => e.step)).toEqual([0, 1, 2]);
    expect(h.events.at(-1)).toMatchObject({ kind: 'finished', status: 'succeeded', step: -1 });

    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    expect(await missingKeys(cluster, written)).toEqual([]);
  });

  it('does nothing the second time, and says every step was already done', async () => {
    h.events.length = 0;
    const again = await executePlan(plan, h.deps);
    expect(again.status).toBe('succeeded');
    expect(again.steps.map((s) => s.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(again.detail).toMatch(/every step was already done/);
    expect(
      h.events.filter((e) => e.kind === 'skipped').every((e) => e.detail.startsWith('already done')),
    ).toBe(true);
    expect(await userCheck(cluster)).toEqual([]);
  });
});

describe('plan for a pod that came back at the same address, empty', () => {
  let cluster: LocalCluster;
  let h: Harness;

  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    h = harness(cluster);
  });
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('says the replica was already wiped by the new node, restores service, and keeps the other shards whole', async () => {
    const written = await writeKeys(cluster, 300);
    await waitReplicasCaughtUp(cluster);
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    // Same address, new id: the old id turns `noaddr`, is never flagged failed, and no replica takes over;
    // the replica reconnects to the address and resyncs from the new, empty node (Redis does this, not us).
    const fresh = await cluster.replaceNode(master);
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'DBSIZE')) === '0',
      20_000,
      'the replica to resync',
    );
    await cluster.waitFor(
      async () => (await cluster.cli(cluster.masters()[1]!, 'CLUSTER', 'NODES')).includes('master,noaddr'),
      20_000,
      'the old id to lose its address',
    );

    const plan = await planNow(h);
    expect(stepKinds(plan)).toEqual(['failover:force', 'forget', 'meet', 'replicate']);
    expect(plan.steps[0]).toMatchObject({ replicaId: replica.id, risk: 'data-loss' });
    expect(plan.steps[0]!.sentence).toMatch(new RegExp(`resynced from the new empty node at ${fresh.addr}`));
    expect(plan.risk).toBe('data-loss');

    const result = await executePlan(plan, h.deps);
    expect(result.status, result.detail).toBe('succeeded');
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    const missing = await missingKeys(cluster, written);
    // Only keys of the wiped shard are gone.
    const c = clusterClient(cluster);
    try {
      for (const k of missing) {
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', k));
        expect(slot).toBeLessThanOrEqual(5460);
      }
    } finally {
      c.disconnect();
    }
  });
});
