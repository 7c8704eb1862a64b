import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { startLocalCluster, useClusterTracker } from '../support/redis-cluster.ts';
import { halfMigrated } from './open-slots-support.ts';
import {
  clusterClient,
  harness,
  missingKeys,
  planNow,
  stepKinds,
  userCheck,
  writeKeys,
} from './plans-support.ts';

describe('plans that change slot ownership', () => {
  const tracker = useClusterTracker();

  it('gives the slots of a lost master without replica to the restarted empty node (data loss), and the cluster serves every slot again', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000 }),
    );
    let fresh: { addr: string; id: string } | undefined;
    const h = harness(cluster, () => (fresh ? [fresh.addr] : []));
    try {
      const written = await writeKeys(cluster, 300);
      const lost = cluster.masters()[1]!;
      await cluster.kill(lost);
      const other = cluster.masters()[0]!;
      await cluster.waitFor(
        async () =>
          (await cluster.cli(other, 'CLUSTER', 'NODES'))
            .split('\n')
            .some((l) => l.startsWith(lost.id) && l.split(' ')[2]!.split(',').includes('fail')),
        20_000,
        'the master to be flagged failed',
      );
      fresh = await cluster.startFreshNode();

      const plan = await planNow(h);
      expect(stepKinds(plan)).toEqual(['meet', 'fix-slots', 'forget']);
      expect(plan.risk).toBe('data-loss');
      expect(plan.approvalsNeeded).toBe(2);
      expect(plan.steps[1]!.commands[1]).toMatch(
        new RegExp(`^${fresh.addr} CLUSTER ADDSLOTSRANGE 5461 10921$`),
      );

      const result = await executePlan(plan, h.deps);
      expect(result.status, result.detail).toBe('succeeded');
      await cluster.waitFor(
        async () => (await userCheck(cluster)).every((p) => /no replica/.test(p)),
        20_000,
        'ok',
      );
      const problems = await userCheck(cluster);
      expect(problems.filter((p) => !/no replica/.test(p))).toEqual([]);
      // The keys of the lost slots are gone (that is the data loss the plan announced); the others are all there.
      const c = clusterClient(cluster);
      const lostKeys = new Set<string>();
      try {
        for (const k of written.keys()) {
          const slot = Number(await c.call('CLUSTER', 'KEYSLOT', k));
          if (slot >= 5461 && slot <= 10921) lostKeys.add(k);
        }
      } finally {
        c.disconnect();
      }
      const missing = await missingKeys(cluster, written);
      expect(missing.sort()).toEqual([...lostKeys].sort());

      const again = await executePlan(plan, h.deps);
      expect(again.steps.map((s) => s.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    } finally {
      await h.close();
    }
  });

  it('closes a slot left open by an interrupted migration by finishing it, with no key lost', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    );
    const h = harness(cluster);
    try {
      const [a, b] = cluster.masters() as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
      // Keys of one slot owned by `a` (hash tag), half of them moved to `b` before the "crash".
      const { slot, written } = await halfMigrated(cluster, a, b, 40, 20);

      const plan = await planNow(h);
      expect(stepKinds(plan)).toEqual(['fix-slots']);
      expect(plan.steps[0]).toMatchObject({ action: 'stable', slots: [{ start: slot, end: slot }] });

      const result = await executePlan(plan, h.deps);
      expect(result.status, result.detail).toBe('succeeded');
      await cluster.waitFor(async () => (await userCheck(cluster)).length === 0, 20_000, 'healthy');
      for (const n of cluster.masters()) {
        expect(await cluster.cli(n, 'CLUSTER', 'NODES')).not.toMatch(/\[\d+-[<>]-/);
      }
      expect(await missingKeys(cluster, written)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
