import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  approvalsFor,
  clusterDefinition,
  commandCalls,
  killWorkerProcesses,
  makePlan,
  planBackend,
  randomPrefix,
  spareReplacesDeadReplica,
  startWorkerProcess,
  useControlConnection,
  workerProcessEnv,
} from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, spares: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control);

afterEach(() => {
  killWorkerProcesses();
});

describe('plan worker', () => {
  describe('when a worker process is SIGKILLed after the forget step of a plan', () => {
    it('is replaced by another that finishes the plan without re-running a finished step', async () => {
      const cluster = target.current;
      const prefix = randomPrefix();
      const spare = cluster.spares[0]!;
      const def: ClusterDefinition = clusterDefinition('target', cluster, [spare.addr]);
      const { store, audit, queue, bus } = planBackend(db.current, prefix);
      const events: ExecEvent[] = [];
      await bus.subscribe((e) => events.push(e));
      try {
        // A replica dies; the spare takes its place: forget, meet, replicate.
        const { dead, master, live, steps } = await spareReplacesDeadReplica(cluster, spare);
        const plan = makePlan({ cluster: 'target', steps });
        await store.create(plan);
        const forgetBefore = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
        const meetBefore = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|meet')));

        const env = workerProcessEnv(control.current.url, prefix, [def], {
          MEDIC_LOCK_MS: '2000',
          MEDIC_STALLED_MS: '1000',
        });
        let held = '';
        const first = await startWorkerProcess({ ...env, MEDIC_HOLD_AFTER_STEP: '0' }, (line) => {
          if (line.startsWith('HOLD')) held = line;
        });
        const approvals = approvalsFor({ store, audit, queue, bus }, ['UA']);
        expect(await approvals.approve(plan.id, 'UA')).toMatchObject({ ok: true, state: 'approved' });

        await cluster.waitFor(() => held !== '', 30_000, 'the first worker to finish the forget step');
        expect(held).toBe(`HOLD ${plan.id} 0`);
        const exited = new Promise((r) => first.once('exit', r));
        first.kill('SIGKILL');
        await exited;
        const mid = await store.get(plan.id);
        expect(mid?.status).toBe('running');
        expect(mid?.progress.nextStep).toBe(1);
        const killedAt = Date.now();

        await startWorkerProcess(env);
        await cluster.waitFor(
          async () => ['succeeded', 'failed', 'stale'].includes((await store.get(plan.id))?.status ?? ''),
          60_000,
          'the second worker to finish the plan',
        );
        const rec = await store.get(plan.id);
        expect(rec?.status, rec?.result?.detail).toBe('succeeded');
        expect(rec?.progress.outcomes.map((o) => [o.index, o.outcome])).toEqual([
          [0, 'done'],
          [1, 'done'],
          [2, 'done'],
        ]);

        // The forget step ran once: one FORGET per live node, none from the second worker.
        const forgetAfter = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
        expect(forgetAfter.map((a, i) => a - forgetBefore[i]!)).toEqual(live.map(() => 1));
        const meetAfter = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|meet')));
        expect(meetAfter.map((a, i) => a - meetBefore[i]!)).toEqual(live.map(() => 1));
        const afterKill = events.filter((e) => e.at >= killedAt);
        expect(afterKill.some((e) => e.step === 0)).toBe(false);
        expect(afterKill.some((e) => e.step === 1 && e.kind === 'started')).toBe(true);
        const trail = await audit.forPlan(plan.id);
        expect(trail.some((e) => e.what === 'resume' && e.detail?.includes('from step 2'))).toBe(true);

        // The cluster ends healthy, the spare a replica of the orphaned master.
        await cluster.waitHealthy(30_000);
        expect(await cluster.roleOf(spare)).toBe('replica');
        const nodes = await cluster.cli(master, 'CLUSTER', 'NODES');
        expect(nodes).not.toContain(dead.id);
      } finally {
        await queue.queue.obliterate({ force: true }).catch(() => {});
        await queue.close();
        await bus.close();
      }
    });
  });
});
