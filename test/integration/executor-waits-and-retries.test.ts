import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePlan, type StepOutcome } from '../../src/app/run/executor.ts';
import { CodedError } from '../../src/core/errors.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import type { Plan } from '../../src/core/types.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../support/redis-cluster.ts';
import { type Harness, harness, userCheck, waitHealthy } from './plans-support.ts';

const ctx = () => ({ cluster: 'it', requestedBy: 'U-test', now: Date.now(), ttlMs: 900_000 });

describe('executor', () => {
  let cluster: LocalCluster;
  let h: Harness;
  let fresh: LocalNode | undefined;

  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    h = harness(cluster, () => (fresh ? [fresh.addr] : []));
  });
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  async function plan(action: Parameters<typeof planForAction>[1]): Promise<Plan> {
    const out = planForAction(await h.scan(), action, ctx());
    if (!out.ok) throw new Error(`${out.code}: ${out.reason}`);
    return out.plan;
  }

  it('ends a wait at its deadline with STEP_TIMEOUT, and a resumed run finishes the plan', async () => {
    fresh = await cluster.startFreshNode();
    const p = await plan({ kind: 'join', node: fresh.addr });
    expect(p.steps.map((s) => s.kind)).toEqual(['meet', 'replicate']);

    const short = await executePlan(p, { ...h.deps, waitTimeoutMs: 1 });
    expect(short.status).toBe('failed');
    expect(short.stoppedAt).toBe(0);
    expect(short.error?.code).toBe('STEP_TIMEOUT');
    expect(short.error?.message).toMatch(/timed out after 1 ms waiting for every node to know/);

    const persisted: [number, StepOutcome][] = [];
    const resumed = await executePlan(p, h.deps, {
      fromStep: 0,
      onStepDone: async (i, o) => void persisted.push([i, o]),
    });
    expect(resumed.status, resumed.detail).toBe('succeeded');
    expect(persisted.map(([i]) => i)).toEqual([0, 1]);
    // MEET is idempotent: the resumed run finds it done, or sends it again.
    expect(['skipped', 'done']).toContain(persisted[0]![1].outcome);
    expect(persisted[1]![1].outcome).toBe('done');
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
  });

  it('runs only the steps from opts.fromStep on (here: moving a replica to another master)', async () => {
    const mine = (await cluster.cli(fresh!, 'CLUSTER', 'NODES'))
      .split('\n')
      .find((l) => l.includes('myself'))!;
    const current = mine.split(' ')[3];
    const target = cluster.masters().find((m) => m.id !== current)!;
    const p = await plan({ kind: 'join', node: fresh!.addr, replicaOf: target.addr });
    expect(p.steps.map((s) => s.kind)).toEqual(['replicate']);
    const r = await executePlan({ ...p, steps: [p.steps[0]!, p.steps[0]!] }, h.deps, { fromStep: 1 });
    expect(r.steps.map((s) => s.index)).toEqual([1]);
    expect(r.status, r.detail).toBe('succeeded');
    expect(
      (await cluster.cli(fresh!, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself')),
    ).toContain(target.id);
    await waitHealthy(cluster);
  });

  it('throws a transient CodedError when a node freezes mid-action, and a retry finishes the job', async () => {
    const dead = cluster.replicasOf(cluster.masters()[0]!)[0]!;
    await cluster.kill(dead);
    const other = cluster.masters()[1]!;
    await cluster.waitFor(
      async () =>
        (await cluster.cli(other, 'CLUSTER', 'NODES'))
          .split('\n')
          .some((l) => l.startsWith(dead.id) && l.split(' ')[2]!.split(',').includes('fail')),
      20_000,
      'the replica to be flagged failed',
    );
    const p = await plan({ kind: 'forget', node: dead.id });
    const victim = cluster.replicasOf(cluster.masters()[1]!)[0]!;
    const deps = {
      ...h.deps,
      reporter: {
        emit: (e: { kind: string }) => {
          // Freeze a node after the precondition held, just before the FORGETs go out.
          if (e.kind === 'started') cluster.freeze(victim);
        },
      },
    };
    let thrown: unknown;
    try {
      await executePlan(p, deps);
    } catch (err) {
      thrown = err;
    } finally {
      cluster.thaw(victim);
    }
    expect(thrown).toBeInstanceOf(CodedError);
    const e = thrown as CodedError;
    expect(e.details?.transient).toBe(true);
    expect(e.details?.step).toBe(0);
    expect(e.message).toMatch(new RegExp(`${victim.addr}`));

    const retry = await executePlan(p, h.deps, { fromStep: 0 });
    expect(retry.status, retry.detail).toBe('succeeded');
    for (const n of cluster.all().filter((x) => x.state === 'running')) {
      expect(await cluster.cli(n, 'CLUSTER', 'NODES')).not.toContain(dead.id);
    }
  });
});
