import { describe, expect, it } from 'vitest';
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
import { useCluster, useRedis } from '../support/redis-cluster.ts';

// The control Redis as production should run it: AOF on (fsync on every write: the plan store writes little).
const control = useRedis({ appendonly: true, extraConfig: ['appendfsync always'] });
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control, { ignoreErrors: true });
const workerConn = useControlConnection(control, { ignoreErrors: true });

describe('control Redis', () => {
  describe('when it restarts while a plan waits for approval', () => {
    it('still has the plan, which can be approved and runs', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const { store, audit, queue, bus } = planBackend(db.current, prefix);
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      const worker = startWorkerOn(workerConn.current, prefix, { bus, audit }, deps.depsFor);
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
        const approvals = approvalsFor({ store, audit, queue, bus }, ['UA']);
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
