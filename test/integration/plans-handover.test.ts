import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { type LocalCluster, startLocalCluster } from '../support/redis-cluster.ts';
import {
  clusterClient,
  type Harness,
  harness,
  missingKeys,
  userCheck,
  waitHealthy,
} from './plans-support.ts';

/** A 3+1 cluster and executor harness for one describe block. */
function useCluster(nodeTimeoutMs: number): { cluster: LocalCluster; h: Harness } {
  const rig = {} as { cluster: LocalCluster; h: Harness };
  beforeAll(async () => {
    rig.cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs });
    rig.h = harness(rig.cluster);
  });
  afterAll(async () => {
    await rig.h?.close();
    await rig.cluster?.stop();
  });
  return rig;
}

describe('planned handover of a master to its replica while a client keeps writing (write-up 003)', () => {
  const rig = useCluster(1000);

  it('hands over with CLUSTER FAILOVER and every acknowledged write is still readable', async () => {
    const { cluster, h } = rig;
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    const out = planForAction(
      await h.scan(),
      { kind: 'failover', node: replica.addr, mode: 'default' },
      { cluster: 'it', requestedBy: 'U-test', now: Date.now(), ttlMs: 900_000 },
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.plan.steps[0]!.commands).toEqual([`${replica.addr} CLUSTER FAILOVER`]);

    // The writer: acknowledged writes are the ones SET answered OK to.
    const client = clusterClient(cluster);
    const acked = new Map<string, string>();
    let errors = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `w:${i}`;
        try {
          if ((await client.set(key, String(i))) === 'OK') acked.set(key, String(i));
        } catch {
          errors++;
        }
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = acked.size;
      const result = await executePlan(out.plan, h.deps);
      expect(result.status, result.detail).toBe('succeeded');
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await writer;
      expect(acked.size).toBeGreaterThan(before);
    } finally {
      stop = true;
      await writer;
      client.disconnect();
    }

    expect(await cluster.roleOf(replica)).toBe('master');
    expect(await cluster.roleOf(master)).toBe('replica');
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    expect(await missingKeys(cluster, acked)).toEqual([]);
    expect(errors).toBeLessThan(acked.size);
  });
});

describe('a handover Redis drops (the master stalls past Redis’s 5 s manual-failover window)', () => {
  // A node timeout well above the stall: nobody marks the master failing, so only the manual failover can move it.
  const rig = useCluster(20_000);

  it('is asked for again, says so, and completes once the master answers', async () => {
    const { cluster, h } = rig;
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    const writer = clusterClient(cluster);
    try {
      await writer.set('{k}a', 'kept');
    } finally {
      writer.disconnect();
    }
    const out = planForAction(
      await h.scan(),
      { kind: 'failover', node: replica.addr, mode: 'default' },
      { cluster: 'it', requestedBy: 'U-test', now: Date.now(), ttlMs: 900_000 },
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;

    // The precondition held on a fresh scan; the master stalls as the replica asks it to pause (a fork, a slow command).
    let thaw: NodeJS.Timeout | undefined;
    const deps = {
      ...h.deps,
      reporter: {
        emit: (e: Parameters<typeof h.deps.reporter.emit>[0]) => {
          if (e.kind === 'started' && !thaw) {
            cluster.freeze(master);
            thaw = setTimeout(() => cluster.thaw(master), 6_500);
          }
          return h.deps.reporter.emit(e);
        },
      },
    };
    try {
      const result = await executePlan(out.plan, deps);
      expect(result.status, result.detail).toBe('succeeded');
    } finally {
      clearTimeout(thaw);
      cluster.thaw(master);
    }
    expect(h.events.some((e) => e.kind === 'waiting' && /asking again \(2 of 3\)/.test(e.detail ?? ''))).toBe(
      true,
    );
    expect(await cluster.roleOf(replica)).toBe('master');
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    const client = clusterClient(cluster);
    try {
      expect(await client.get('{k}a')).toBe('kept');
    } finally {
      client.disconnect();
    }
  });
});
