import { describe, expect, it } from 'vitest';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  approvalsFor,
  clusterDefinition,
  executorDepsFactory,
  forgetStep,
  makePlan,
  planBackend,
  randomPrefix,
  startWorkerOn,
  useControlConnection,
  waitForFail,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control);
const workerConn = useControlConnection(control);

describe('cancel', () => {
  describe('when an approver cancels a running plan', () => {
    it('stops it before its next step and records who cancelled it', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const { store, audit, queue, bus } = planBackend(db.current, prefix);
      const events: ExecEvent[] = [];
      await bus.subscribe((e) => events.push(e));
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      const approvals = approvalsFor({ store, audit, queue, bus }, ['UA', 'UB']);
      let cancelReply: Awaited<ReturnType<typeof approvals.cancel>> | undefined;
      const worker = startWorkerOn(workerConn.current, prefix, { bus, audit }, deps.depsFor, {
        // No poll in time: the worker must see the cancel at the step boundary itself.
        cancelPollMs: 60_000,
        // Someone presses Cancel right after the first step; the worker notices before the second.
        afterStepPersisted: async (id, index) => {
          if (index !== 0) return;
          cancelReply = await approvals.cancel(id, 'UB');
        },
      });
      try {
        const [d1, d2] = cluster.replicas();
        await Promise.all([cluster.kill(d1!), cluster.kill(d2!)]);
        await waitForFail(cluster, d1!.id);
        await waitForFail(cluster, d2!.id);
        const plan = makePlan({ cluster: 'target', steps: [forgetStep(d1!.id), forgetStep(d2!.id)] });
        await store.create(plan);
        await approvals.approve(plan.id, 'UA');
        await cluster.waitFor(
          async () =>
            ['succeeded', 'failed', 'stale', 'cancelled'].includes((await store.get(plan.id))?.status ?? ''),
          60_000,
          'the plan to stop',
        );
        expect(cancelReply).toMatchObject({ ok: true });
        expect(cancelReply?.ok && cancelReply.message).toMatch(/stops before its next step/);
        const rec = await store.get(plan.id);
        expect(rec).toMatchObject({ status: 'cancelled', cancelledBy: 'UB', progress: { nextStep: 1 } });
        expect(rec?.result?.detail).toMatch(/^cancelled by UB/);
        const nodes = await cluster.cli(cluster.masters()[0]!, 'CLUSTER', 'NODES');
        expect(nodes).not.toContain(d1!.id);
        expect(nodes).toContain(d2!.id);
        await expect
          .poll(() => events.find((e) => e.kind === 'finished'))
          .toMatchObject({ plan: plan.id, status: 'cancelled' });
        expect(events.some((e) => e.step === 1 && e.kind === 'started')).toBe(false);
        const trail = await audit.forPlan(plan.id);
        expect(
          trail.some((e) => e.what === 'cancel' && e.who === 'UB' && e.outcome === 'cancel-requested'),
        ).toBe(true);
        expect(trail.at(-1)).toMatchObject({ what: 'result', outcome: 'cancelled' });
      } finally {
        await worker.close();
        await queue.queue.obliterate({ force: true }).catch(() => {});
        await queue.close();
        await bus.close();
        await deps.close();
      }
    });
  });
});
