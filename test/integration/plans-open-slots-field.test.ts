/**
 * The field case of issue 14 (a migration target died mid-way, its replica took over holding 40 of the slot's
 * 100 keys), binary key names and a key named like the credential stand-in on a password-protected cluster
 * (issue 16 point 6), and the end check that turns a plan leaving keys on a non-owner into Failed.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { Credential } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import { keySlot } from '../../src/core/topology/key-slot.ts';
import { startLocalCluster, useClusterTracker, waitForPromotionAgreed } from '../support/redis-cluster.ts';
import {
  expectSettled,
  halfMigrated,
  type Key,
  keysIn,
  keysOf,
  masterOf,
  migrateByHand,
  repairSlots,
  strayKey,
  tagOwnedBy,
  threeMasters,
  writeTagged,
} from './open-slots-support.ts';
import { clusterClient, waitReplicasCaughtUp, withHarness } from './plans-support.ts';

describe('open slots in the field', () => {
  const tracker = useClusterTracker();

  it.each([
    { moved: 40, keeper: 'the source keeps the slot' },
    { moved: 60, keeper: 'the promoted node takes the slot' },
  ])(
    'a migration target died and its replica took over with $moved of 100 keys: $keeper, all 100 readable afterwards, no false success',
    async ({ moved }) => {
      const cluster = tracker.track(
        await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
      );
      await withHarness(cluster, async (h) => {
        const [a, b] = threeMasters(cluster);
        const { slot, written } = await halfMigrated(cluster, a, b, 100, moved);
        await waitReplicasCaughtUp(cluster);
        const promoted = cluster.replicasOf(b)[0]!;
        await cluster.kill(b);
        await waitForPromotionAgreed(cluster, promoted);
        expect(await keysIn(cluster, promoted, slot)).toBe(moved);
        // Redis leaves the source migrating to the dead id; Valkey 8 re-points it at the promoted replica.
        const sourceView = await cluster.cli(a, 'CLUSTER', 'NODES');
        expect(
          [`[${slot}->-${b.id}]`, `[${slot}->-${promoted.id}]`].some((m) => sourceView.includes(m)),
        ).toBe(true);

        const findings = analyzeTopology(await h.scan());
        const stray = findings.find((f) => f.code === 'keys-in-unowned-slot');
        expect(stray?.summary).toMatch(
          new RegExp(`^slot ${slot}: ${moved} keys on ${promoted.addr} .*holds ${100 - moved}`),
        );

        const keeper = moved < 50 ? a : promoted;
        const { plan } = await repairSlots(h, keeper);
        expect(plan.steps[0]!.sentence).toMatch(/most keys/);
        expect(await keysIn(cluster, keeper, slot)).toBe(100);
        expect(await keysIn(cluster, keeper === a ? promoted : a, slot)).toBe(0);
        await expectSettled(cluster, written);
      });
    },
  );

  it('the migration source died and its replica took over: the keys already on the target go back to the new owner', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    );
    await withHarness(cluster, async (h) => {
      const [a, b] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 100, 30);
      await waitReplicasCaughtUp(cluster);
      const promoted = cluster.replicasOf(a)[0]!;
      await cluster.kill(a);
      // `b` imports the slot, so it ignores the new owner's claim (Redis skips importing slots on UPDATE):
      // it keeps naming the dead source, and says cluster_state:fail until the slot is repaired.
      await cluster.waitFor(
        async () =>
          (await cluster.cli(cluster.masters()[2]!, 'CLUSTER', 'NODES')).includes(
            `${promoted.id} ${promoted.addr}`,
          ) && (await cluster.roleOf(promoted)) === 'master',
        20_000,
        'the promotion',
      );
      expect(await cluster.cli(b, 'CLUSTER', 'NODES')).toContain(`[${slot}-<-${a.id}]`);

      await repairSlots(h, promoted);
      expect(await keysIn(cluster, promoted, slot)).toBe(100);
      await expectSettled(cluster, written);
    });
  });

  it('refuses to repair while a master does not answer and is not flagged failed, as redis-cli does without --cluster-fix-with-unreachable-masters; repairs once it is back', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 30_000 }),
    );
    await withHarness(cluster, async (h) => {
      const [a, b, c] = threeMasters(cluster);
      const { slot, written } = await halfMigrated(cluster, a, b, 30, 10);
      cluster.freeze(c);
      const topology = await h.scan();
      const out = planForFindings(topology, analyzeTopology(topology), {
        cluster: 'it',
        requestedBy: 'U-test',
        now: Date.now(),
        ttlMs: 900_000,
      });
      expect(out.ok).toBe(false);
      if (!out.ok)
        expect(out.reason).toContain(
          `slot ${slot}: master ${c.addr} does not answer but is not flagged failed; it may hold keys of the slot`,
        );
      expect(await keysIn(cluster, b, slot)).toBe(10);

      cluster.thaw(c);
      await repairSlots(h, a);
      await expectSettled(cluster, written);
    });
  });

  it('moves binary key names and a key named like the credential stand-in as themselves, the password in no SLOWLOG or MONITOR line', async () => {
    const password = 'slots-Secret-4e1f';
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000, password }),
    );
    let watcher: Redis | undefined;
    await withHarness(cluster, async (h) => {
      const tag = Credential.migrateAuth;
      const slot = keySlot(tag);
      const a = await masterOf(cluster, slot);
      const b = cluster.masters().find((m) => m !== a)!;
      const written = await writeTagged(cluster, a, tag, 20);
      const c = clusterClient(cluster);
      try {
        await c.set(Credential.migrateAuth, 'the stand-in itself');
        written.set(Credential.migrateAuth, 'the stand-in itself');
        for (let i = 0; i < 5; i++) {
          const k: Key = Buffer.concat([Buffer.from(`{${tag}}`), Buffer.from([0xff, 0xfe, 0x80, 0xc3, i])]);
          await c.set(k, `bin${i}`);
          written.set(k, `bin${i}`);
        }
      } finally {
        c.disconnect();
      }
      await migrateByHand(cluster, a, b, slot, keysOf(tag, 0, 20));
      await cluster.call(a, 'CONFIG', 'SET', 'slowlog-log-slower-than', 0);
      await cluster.call(a, 'SLOWLOG', 'RESET');
      watcher = new Redis({ host: a.host, port: a.port, password, retryStrategy: () => null });
      const mon = await watcher.monitor();
      const seen: string[] = [];
      mon.on('monitor', (_t: string, args: string[]) => seen.push(args.join(' ')));

      await repairSlots(h, b);
      expect(await keysIn(cluster, b, slot)).toBe(26);
      await expectSettled(cluster, written);
      const slowlog = JSON.stringify(await cluster.call(a, 'SLOWLOG', 'GET', 1000));
      expect(slowlog).toContain('MIGRATE');
      expect(slowlog).not.toContain(password);
      await cluster.waitFor(() => seen.some((l) => /^migrate/i.test(l)), 5000, 'MONITOR to show the MIGRATE');
      expect(seen.filter((l) => l.includes(password))).toEqual([]);
      mon.disconnect();
    }).finally(() => watcher?.disconnect());
  });

  it('a plan that leaves keys on a master that does not own their slot ends Failed, naming slot, node and count', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    );
    await withHarness(cluster, async (h) => {
      const [a, , other] = threeMasters(cluster);
      const { tag, slot } = await tagOwnedBy(cluster, a);
      // One key of a's slot written on `other` while it imported the slot, then the marker cleared by hand.
      await strayKey(cluster, a, other, tag, slot);
      expect(await keysIn(cluster, other, slot)).toBe(1);
      await waitReplicasCaughtUp(cluster);

      const replica = cluster.replicasOf(a)[0]!;
      const out = planForAction(
        await h.scan(),
        { kind: 'failover', node: replica.addr, mode: 'default' },
        { cluster: 'it', requestedBy: 'U-test', now: Date.now(), ttlMs: 900_000 },
      );
      if (!out.ok) throw new Error(out.reason);
      const result = await executePlan(out.plan, h.deps);
      expect(result.steps.map((s) => s.outcome)).toEqual(['done']);
      expect(result.status).toBe('failed');
      const named = new RegExp(
        `slot ${slot}: 1 key on ${other.addr} \\(${other.id.slice(0, 8)}\\), which does not own it`,
      );
      expect(result.detail).toMatch(named);
      const finished = h.events.find((e) => e.kind === 'finished');
      expect(finished?.status).toBe('failed');
      expect(finished?.detail).toMatch(named);
    });
  });
});
