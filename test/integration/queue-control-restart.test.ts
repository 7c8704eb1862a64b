import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/adapters/queue/event-bus.ts';
import { createPlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { startPlanWorker } from '../../src/adapters/queue/plan-worker.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import {
  clusterDefinition,
  commandCalls,
  executorDepsFactory,
  forgetStep,
  makePlan,
  randomPrefix,
  waitForFail,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

// The control Redis as production should run it: AOF on (fsync on every write: the plan store writes little).
const control = useRedis({ appendonly: true, extraConfig: ['appendfsync always'] });
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
let redis: Redis;
let workerConn: Redis;

beforeAll(() => {
  redis = new Redis(control.current.url, { maxRetriesPerRequest: null });
  workerConn = new Redis(control.current.url, { maxRetriesPerRequest: null });
  for (const c of [redis, workerConn]) c.on('error', () => {});
});
afterAll(async () => {
  await redis.quit();
  await workerConn.quit();
});

describe('control Redis', () => {
  describe('when it restarts while a plan waits for approval', () => {
    it('still has the plan, which can be approved and runs', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const store = createPlanStore(redis, { prefix });
      const audit = createAuditLog(redis, { prefix });
      const queue = createPlanQueue({ connection: redis, prefix: planQueuePrefix(prefix) });
      const bus = createEventBus(redis, { prefix });
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      const worker = startPlanWorker({
        connection: workerConn,
        prefix: planQueuePrefix(prefix),
        store: createPlanStore(workerConn, { prefix }),
        bus,
        audit,
        executorDepsFor: deps.depsFor,
      });
      try {
        const dead = cluster.replicas()[0]!;
        await cluster.kill(dead);
        await waitForFail(cluster, dead.id);
        const live = cluster.nodes.filter((n) => n.state === 'running');
        const plan = makePlan({ cluster: 'target', steps: [forgetStep(dead.id)] });
        await store.create(plan);
        await audit.record({
          who: 'UREQ',
          what: 'proposed',
          cluster: 'target',
          plan: plan.id,
          outcome: 'proposed',
        });

        await control.current.restart();
        const rec = await store.get(plan.id);
        expect(rec?.status).toBe('proposed');
        expect(rec?.plan).toEqual(plan);
        expect((await audit.forPlan(plan.id)).map((e) => e.what)).toEqual(['proposed']);
        expect(await store.list({ status: 'proposed' })).toHaveLength(1);

        const before = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
        const approvals = createApprovalService({
          store,
          queue,
          audit,
          bus,
          policy: { approvers: ['UA'], allowSelfApproval: false },
        });
        expect(await approvals.approve(plan.id, 'UA')).toMatchObject({ ok: true, state: 'approved' });
        await cluster.waitFor(
          async () => ['succeeded', 'failed', 'stale'].includes((await store.get(plan.id))?.status ?? ''),
          60_000,
          'the plan to run',
        );
        const done = await store.get(plan.id);
        expect(done?.status, done?.result?.detail).toBe('succeeded');
        const after = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
        expect(after.map((a, i) => a - before[i]!)).toEqual(live.map(() => 1));
        await cluster.waitHealthy(30_000);
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
