/**
 * Open slots, every case `redis-cli --cluster fix` repairs (issue 14): migrating only, importing only,
 * several nodes holding keys, no owner but keys somewhere. Each ends with every key readable through a
 * cluster client, no open slot on any node and one owner per slot.
 */
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { startLocalCluster, useClusterTracker } from '../support/redis-cluster.ts';
import {
  expectSettled,
  halfMigrated,
  keysIn,
  keysOf,
  masterOf,
  migrateByHand,
  repairSlots,
  threeMasters,
} from './open-slots-support.ts';
import { planNow, withHarness } from './plans-support.ts';

describe('open slots, repaired like redis-cli --cluster fix', () => {
  const tracker = useClusterTracker();
  const start = () =>
    startLocalCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000 }).then((c) =>
      tracker.track(c),
    );

  it('migrating only: the owner keeps the slot (most keys) and the keys already moved come back', async () => {
    const cluster = await start();
    await withHarness(cluster, async (h) => {
      const [a, b] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 30, 10);
      await cluster.call(b, 'CLUSTER', 'SETSLOT', slot, 'STABLE');

      const { plan } = await repairSlots(h, a);
      expect(plan.steps[0]!.sentence).toMatch(new RegExp(`no single clear owner of slot ${slot}.*most keys`));
      expect(await keysIn(cluster, a, slot)).toBe(30);
      await expectSettled(cluster, written);
    });
  });

  it('importing only: the node holding most keys takes the slot, the rest of its keys follow', async () => {
    const cluster = await start();
    await withHarness(cluster, async (h) => {
      const [a, b] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 30, 20);
      await cluster.call(a, 'CLUSTER', 'SETSLOT', slot, 'STABLE');

      await repairSlots(h, b);
      expect(await masterOf(cluster, slot)).toBe(b);
      expect(await keysIn(cluster, b, slot)).toBe(30);
      await expectSettled(cluster, written);
    });
  });

  it('several nodes hold keys of the slot: all of them end on the node with the most', async () => {
    const cluster = await start();
    await withHarness(cluster, async (h) => {
      const [a, b, c] = threeMasters(cluster);
      const { tag, slot, written } = await halfMigrated(cluster, a, b, 50, 15);
      await migrateByHand(cluster, a, c, slot, keysOf(tag, 15, 40));

      const topology = await h.scan();
      expect(
        topology.slotKeys
          ?.find((e) => e.slot === slot)
          ?.counts.map((x) => x.keys)
          .sort(),
      ).toEqual([10, 15, 25]);
      await repairSlots(h, c);
      expect(await masterOf(cluster, slot)).toBe(c);
      expect(await keysIn(cluster, c, slot)).toBe(50);
      await expectSettled(cluster, written);
    });
  });

  it('no owner but keys on two nodes: the one with the most keys takes the slot and gets the others', async () => {
    const cluster = await start();
    await withHarness(cluster, async (h) => {
      const [a, b] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 30, 12);
      for (const n of cluster.masters()) {
        await cluster.call(n, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
        await cluster.call(n, 'CLUSTER', 'DELSLOTS', slot).catch(() => undefined);
      }
      await cluster.waitFor(
        async () => (await cluster.cli(b, 'CLUSTER', 'INFO')).includes('cluster_slots_assigned:16383'),
        10_000,
        'the slot to be uncovered',
      );

      const { plan } = await repairSlots(h, a);
      expect(plan.steps[0]!.risk).toBe('high');
      expect(plan.steps[0]!.sentence).toMatch(/most keys/);
      await cluster.waitFor(
        async () => (await cluster.cli(b, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        10_000,
        'the cluster to serve every slot',
      );
      expect(await keysIn(cluster, a, slot)).toBe(30);
      await expectSettled(cluster, written);
    });
  });

  it('a cancel stops the key moves before the next batch; diagnosing again finishes the repair', async () => {
    const cluster = await start();
    await withHarness(cluster, async (h) => {
      const [a, b] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 250, 10);

      const plan = await planNow(h);
      const cancel = new AbortController();
      const result = await executePlan(
        plan,
        { ...h.deps, reporter: { emit: (e) => void (e.kind === 'started' && cancel.abort()) } },
        { signal: cancel.signal },
      );
      expect(result.status).toBe('cancelled');
      expect(result.detail).toMatch(new RegExp(`cancelled while moving keys of slot ${slot}`));

      await repairSlots(h, a);
      expect(await keysIn(cluster, a, slot)).toBe(250);
      await expectSettled(cluster, written);
    });
  });
});
