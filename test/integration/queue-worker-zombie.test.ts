import { afterEach, describe, expect, it } from 'vitest';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  approvalsFor,
  clusterDefinition,
  commandCalls,
  forgetStep,
  killWorkerProcesses,
  makePlan,
  planBackend,
  randomPrefix,
  startWorkerProcess,
  useControlConnection,
  waitForFail,
  workerProcessEnv,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control);

afterEach(() => {
  killWorkerProcesses();
});

describe('plan worker', () => {
  describe('when a paused worker wakes up after another one finished its plan', () => {
    it('does not act again nor report the plan twice', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const { store, audit, queue, bus } = planBackend(db.current, prefix);
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

        const env = workerProcessEnv(control.current.url, prefix, [clusterDefinition('target', cluster)], {
          MEDIC_LOCK_MS: '2000',
          MEDIC_STALLED_MS: '1000',
        });
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
        const approvals = approvalsFor({ store, audit, queue, bus }, ['UA']);
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
