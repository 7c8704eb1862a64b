import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/adapters/queue/event-bus.ts';
import { createPlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  clusterDefinition,
  commandCalls,
  forgetStep,
  killWorkerProcesses,
  makePlan,
  randomPrefix,
  startWorkerProcess,
  waitForFail,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
let redis: Redis;

beforeAll(() => {
  redis = new Redis(control.current.url, { maxRetriesPerRequest: null });
});
afterEach(() => {
  killWorkerProcesses();
});
afterAll(async () => {
  await redis.quit();
});

describe('plan worker', () => {
  describe('when a paused worker wakes up after another one finished its plan', () => {
    it('does not act again nor report the plan twice', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const store = createPlanStore(redis, { prefix });
      const audit = createAuditLog(redis, { prefix });
      const queue = createPlanQueue({ connection: redis, prefix: planQueuePrefix(prefix) });
      const bus = createEventBus(redis, { prefix });
      const events: ExecEvent[] = [];
      await bus.subscribe((e) => events.push(e));
      try {
        const [d1, d2] = cluster.replicas();
        await Promise.all([cluster.kill(d1!), cluster.kill(d2!)]);
        await waitForFail(cluster, d1!.id);
        await waitForFail(cluster, d2!.id);
        const live = cluster.nodes.filter((n) => n.state === 'running');
        const plan = makePlan({ cluster: 'target', steps: [forgetStep(d1!.id), forgetStep(d2!.id)] });
        await store.create(plan);
        const before = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));

        const env = {
          CONTROL_REDIS_URL: control.current.url,
          MEDIC_PREFIX: prefix,
          MEDIC_CLUSTERS: JSON.stringify([clusterDefinition('target', cluster)]),
          MEDIC_LOCK_MS: '2000',
          MEDIC_STALLED_MS: '1000',
        };
        let held = false;
        const paused = await startWorkerProcess(
          { ...env, MEDIC_HOLD_AFTER_STEP: '0', MEDIC_HOLD_MS: '500' },
          (line) => {
            if (line.startsWith('HOLD')) {
              held = true;
              paused.kill('SIGSTOP'); // a long GC pause, a frozen VM: its job lock runs out
            }
          },
        );
        const approvals = createApprovalService({
          store,
          queue,
          audit,
          bus,
          policy: { approvers: ['UA'], allowSelfApproval: false },
        });
        await approvals.approve(plan.id, 'UA');
        await cluster.waitFor(() => held, 30_000, 'the first worker to reach its hold');

        await startWorkerProcess(env);
        await cluster.waitFor(
          async () => (await store.get(plan.id))?.status === 'succeeded',
          60_000,
          'the second worker to finish the plan',
        );
        paused.kill('SIGCONT');
        // Let the woken worker do whatever it would do.
        await new Promise((r) => setTimeout(r, 3000));

        const rec = await store.get(plan.id);
        expect(rec?.status).toBe('succeeded');
        const after = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
        // One FORGET per node per step, none from the woken worker.
        expect(after.map((a, i) => a - before[i]!)).toEqual(live.map(() => 2));
        expect(events.filter((e) => e.kind === 'finished')).toHaveLength(1);
        expect((await audit.forPlan(plan.id)).filter((e) => e.what === 'result')).toHaveLength(1);
        await cluster.waitHealthy(30_000);
      } finally {
        await queue.queue.obliterate({ force: true }).catch(() => {});
        await queue.close();
        await bus.close();
      }
    });
  });
});
