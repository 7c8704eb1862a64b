import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlanWorker } from '../../src/adapters/queue/plan-worker.ts';
import type { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import type { PlanEvent } from '../../src/core/plan-record.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  approvalsFor,
  clusterDefinition,
  commandCalls,
  executorDepsFactory,
  forgetStep,
  makePlan,
  planBackend,
  randomPrefix,
  startWorkerOn,
  useControlConnection,
  waitForFail,
} from '../support/plan-fixtures.ts';
import { type LocalCluster, useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

function harness(opts: { workers: number }) {
  const prefix = randomPrefix();
  const cluster = target.current;
  const def = clusterDefinition('target', cluster);
  const { store, audit, queue, bus } = planBackend(db.current, prefix);
  const deps = executorDepsFactory([def]);
  const workers: PlanWorker[] = [];
  for (let i = 0; i < opts.workers; i++) {
    const conn = new Redis(control.current.url, { maxRetriesPerRequest: null });
    const w = startWorkerOn(conn, prefix, { bus, audit }, deps.depsFor, {
      waitPollMs: 300,
    });
    workers.push(w);
    cleanups.push(async () => {
      await w.close();
      await conn.quit();
    });
  }
  cleanups.push(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
    await bus.close();
    await deps.close();
  });
  const approvals = approvalsFor(
    { store, audit, queue, bus },
    Array.from({ length: 10 }, (_, i) => `U${i}`),
  );
  return { store, audit, queue, bus, approvals, cluster };
}

async function waitForStatus(
  store: ReturnType<typeof createPlanStore>,
  id: string,
  cluster: LocalCluster,
  statuses: string[],
) {
  await cluster.waitFor(
    async () => statuses.includes((await store.get(id))?.status ?? ''),
    60_000,
    `plan ${id} to reach ${statuses.join('/')}`,
  );
}

describe('plan queue', () => {
  describe('when ten approvers approve one plan at once', () => {
    it('runs it once: every live node gets exactly one CLUSTER FORGET', async () => {
      const { store, approvals, audit, cluster } = harness({ workers: 2 });
      const dead = cluster.replicas()[0]!;
      await cluster.kill(dead);
      await waitForFail(cluster, dead.id);
      const live = cluster.nodes.filter((n) => n.state === 'running');
      const before = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));

      const plan = makePlan({
        cluster: 'target',
        steps: [
          forgetStep(
            dead.id,
            live.map((n) => n.addr),
          ),
        ],
      });
      await store.create(plan);
      const outs = await Promise.all(
        Array.from({ length: 10 }, (_, i) => approvals.approve(plan.id, `U${i}`)),
      );
      expect(outs.filter((o) => o.ok)).toHaveLength(1);

      await waitForStatus(store, plan.id, cluster, ['succeeded', 'failed', 'stale']);
      const rec = await store.get(plan.id);
      expect(rec?.status, rec?.result?.detail).toBe('succeeded');
      expect(rec?.progress.nextStep).toBe(1);
      // Give a duplicate run, if there were one, time to show up.
      await new Promise((r) => setTimeout(r, 1000));
      const after = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
      expect(after.map((a, i) => a - before[i]!)).toEqual(live.map(() => 1));
      const trail = await audit.forPlan(plan.id);
      expect(trail.filter((e) => e.what === 'approval')).toHaveLength(1);
      expect(trail.filter((e) => e.what === 'refusal')).toHaveLength(9);
      expect(trail.at(-1)).toMatchObject({ what: 'result', outcome: 'succeeded' });
      await cluster.waitHealthy(30_000);
    });
  });

  describe('when two plans of the same cluster are approved at once', () => {
    it('runs them one after the other, and the second says it waits behind the first', async () => {
      const { store, approvals, bus, cluster } = harness({ workers: 2 });
      const execEvents: ExecEvent[] = [];
      const planEvents: PlanEvent[] = [];
      await bus.subscribe((e) => execEvents.push(e));
      await bus.subscribePlan((e) => planEvents.push(e));

      const deadA = cluster.replicas().find((n) => n.state === 'running')!;
      const deadB = cluster.replicas().find((n) => n.state === 'running' && n !== deadA)!;
      await Promise.all([cluster.kill(deadA), cluster.kill(deadB)]);
      await waitForFail(cluster, deadA.id);
      await waitForFail(cluster, deadB.id);

      const a = makePlan({ cluster: 'target', steps: [forgetStep(deadA.id)] });
      const b = makePlan({ cluster: 'target', steps: [forgetStep(deadB.id)] });
      await store.create(a);
      await store.create(b);
      const [oa, ob] = await Promise.all([approvals.approve(a.id, 'U1'), approvals.approve(b.id, 'U2')]);
      expect(oa.ok && ob.ok).toBe(true);

      for (const p of [a, b]) await waitForStatus(store, p.id, cluster, ['succeeded', 'failed', 'stale']);
      expect((await store.get(a.id))?.status).toBe('succeeded');
      expect((await store.get(b.id))?.status).toBe('succeeded');
      await expect.poll(() => execEvents.filter((e) => e.kind === 'finished').length).toBe(2);

      // Never interleaved: every event of the second plan comes after the first one's `finished`.
      const runOf = (id: string) => execEvents.filter((e) => e.plan === id && e.kind !== 'waiting');
      const [first, second] = runOf(a.id)[0]!.at <= runOf(b.id)[0]!.at ? [a.id, b.id] : [b.id, a.id];
      const firstFinished = runOf(first).find((e) => e.kind === 'finished')!;
      expect(runOf(second).every((e) => e.at >= firstFinished.at)).toBe(true);
      const idxFinished = execEvents.indexOf(firstFinished);
      expect(execEvents.slice(0, idxFinished).some((e) => e.plan === second && e.kind !== 'waiting')).toBe(
        false,
      );
      expect(planEvents.some((e) => e.kind === 'waiting' && e.plan === second && e.behind === first)).toBe(
        true,
      );
      expect(
        execEvents.some((e) => e.kind === 'waiting' && e.plan === second && e.detail.includes(first)),
      ).toBe(true);
      await cluster.waitHealthy(30_000);
    });
  });
});
