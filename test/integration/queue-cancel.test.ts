import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/adapters/queue/event-bus.ts';
import { createPlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { startPlanWorker } from '../../src/adapters/queue/plan-worker.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  clusterDefinition,
  executorDepsFactory,
  forgetStep,
  makePlan,
  randomPrefix,
  waitForFail,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
let redis: Redis;
let workerConn: Redis;

beforeAll(() => {
  redis = new Redis(control.current.url, { maxRetriesPerRequest: null });
  workerConn = new Redis(control.current.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
  await workerConn.quit();
});

describe('cancel', () => {
  describe('when an approver cancels a running plan', () => {
    it('stops it before its next step and records who cancelled it', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const store = createPlanStore(redis, { prefix });
      const audit = createAuditLog(redis, { prefix });
      const queue = createPlanQueue({ connection: redis, prefix: planQueuePrefix(prefix) });
      const bus = createEventBus(redis, { prefix });
      const events: ExecEvent[] = [];
      await bus.subscribe((e) => events.push(e));
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      const approvals = createApprovalService({
        store,
        queue,
        audit,
        bus,
        policy: { approvers: ['UA', 'UB'], allowSelfApproval: false },
      });
      let cancelReply: Awaited<ReturnType<typeof approvals.cancel>> | undefined;
      const worker = startPlanWorker({
        connection: workerConn,
        prefix: planQueuePrefix(prefix),
        store: createPlanStore(workerConn, { prefix }),
        bus,
        audit,
        executorDepsFor: deps.depsFor,
        cancelPollMs: 100,
        // Someone presses Cancel right after the first step; the worker notices before the second.
        afterStepPersisted: async (id, index) => {
          if (index !== 0) return;
          cancelReply = await approvals.cancel(id, 'UB');
          await new Promise((r) => setTimeout(r, 400));
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
