import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterExecutorDeps } from '../../src/app/run/executor.ts';
import { CodedError } from '../../src/core/errors.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  approvalsFor,
  clusterDefinition,
  executorDepsFactory,
  forgetStep,
  killWorkerProcesses,
  makePlan,
  planBackend,
  randomPrefix,
  startWorkerOn,
  startWorkerProcess,
  useControlConnection,
  waitForFail,
  workerProcessEnv,
} from '../support/plan-fixtures.ts';
import { type LocalCluster, useCluster, useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const target = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
const db = useControlConnection(control);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killWorkerProcesses();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

function backend(opts: { backoffMs?: number } = {}) {
  const prefix = randomPrefix();
  const { store, audit, queue, bus } = planBackend(db.current, prefix, {
    backoffMs: opts.backoffMs ?? 100,
  });
  const events: ExecEvent[] = [];
  cleanups.push(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
    await bus.close();
  });
  const approvals = approvalsFor({ store, audit, queue, bus }, ['UA']);
  return { prefix, store, audit, queue, bus, events, approvals };
}

function inProcessWorker(
  prefix: string,
  b: ReturnType<typeof backend>,
  depsFor: (c: string) => ClusterExecutorDeps,
) {
  const conn = new Redis(control.current.url, { maxRetriesPerRequest: null });
  const w = startWorkerOn(conn, prefix, b, depsFor);
  cleanups.push(async () => {
    await w.close();
    await conn.quit();
  });
  return w;
}

async function settled(cluster: LocalCluster, b: ReturnType<typeof backend>, id: string) {
  await cluster.waitFor(
    async () => ['succeeded', 'failed', 'stale', 'cancelled'].includes((await b.store.get(id))?.status ?? ''),
    60_000,
    `plan ${id} to finish`,
  );
  return (await b.store.get(id))!;
}

describe('plan worker outcomes', () => {
  describe('when the precondition no longer holds', () => {
    it('stops without retrying: plan stale, job failed after one attempt, finished event says stale', async () => {
      const cluster = target.current;
      const b = backend();
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      cleanups.push(() => deps.close());
      await b.bus.subscribe((e) => b.events.push(e));
      inProcessWorker(b.prefix, b, deps.depsFor);
      // "Forget" a replica that is alive: the executor must refuse.
      const alive = cluster.replicas().find((n) => n.state === 'running')!;
      const plan = makePlan({ cluster: 'target', steps: [forgetStep(alive.id)] });
      await b.store.create(plan);
      await b.approvals.approve(plan.id, 'UA');
      const rec = await settled(cluster, b, plan.id);
      expect(rec.status).toBe('stale');
      expect(rec.result?.detail).toMatch(/nothing touched/);
      await expect.poll(() => b.queue.jobState(plan.id)).toBe('failed');
      expect((await b.queue.queue.getJob(plan.id))?.attemptsMade).toBe(1);
      await expect
        .poll(() => b.events.find((e) => e.kind === 'finished'))
        .toMatchObject({ plan: plan.id, status: 'stale' });
      const trail = await b.audit.forPlan(plan.id);
      expect(trail.at(-1)).toMatchObject({ what: 'result', outcome: 'stale' });
      expect(await cluster.cli(cluster.nodes[0]!, 'CLUSTER', 'NODES')).toContain(alive.id);
    });
  });

  describe('when the cluster cannot be read for a moment', () => {
    it('retries with backoff and finishes the plan', async () => {
      const cluster = target.current;
      const b = backend();
      const deps = executorDepsFactory([clusterDefinition('target', cluster)]);
      cleanups.push(() => deps.close());
      let failuresLeft = 1;
      // The real topology source, except that its first scan fails like an unreachable seed list.
      const depsFor = (name: string): ClusterExecutorDeps => {
        const real = deps.depsFor(name);
        return {
          ...real,
          source: {
            scan: async (o) => {
              if (failuresLeft-- > 0)
                throw new CodedError('CLUSTER_UNREACHABLE', 'no seed answered', { transient: true });
              return real.source.scan(o);
            },
          },
        };
      };
      inProcessWorker(b.prefix, b, depsFor);
      const dead = cluster.replicas().find((n) => n.state === 'running')!;
      await cluster.kill(dead);
      await waitForFail(cluster, dead.id);
      const plan = makePlan({ cluster: 'target', steps: [forgetStep(dead.id)] });
      await b.store.create(plan);
      await b.approvals.approve(plan.id, 'UA');
      const rec = await settled(cluster, b, plan.id);
      expect(rec.status, rec.result?.detail).toBe('succeeded');
      await expect.poll(() => b.queue.jobState(plan.id)).toBe('completed');
      // One failed attempt, then the one that finished it.
      expect((await b.queue.queue.getJob(plan.id))?.attemptsMade).toBe(2);
      const trail = await b.audit.forPlan(plan.id);
      expect(trail.filter((e) => e.what === 'retry').map((e) => e.outcome)).toEqual(['CLUSTER_UNREACHABLE']);
      await cluster.waitHealthy(30_000);
    });
  });

  describe('when a worker process gets SIGTERM in the middle of a plan', () => {
    it('finishes the plan, then exits cleanly', async () => {
      const cluster = target.current;
      const b = backend();
      await b.bus.subscribe((e) => b.events.push(e));
      const running = cluster.replicas().filter((n) => n.state === 'running');
      const [d1, d2] = [running[0]!, running[1]!];
      await Promise.all([cluster.kill(d1), cluster.kill(d2)]);
      await waitForFail(cluster, d1.id);
      await waitForFail(cluster, d2.id);
      const plan = makePlan({ cluster: 'target', steps: [forgetStep(d1.id), forgetStep(d2.id)] });
      await b.store.create(plan);

      const child = await startWorkerProcess(
        workerProcessEnv(control.current.url, b.prefix, [clusterDefinition('target', cluster)]),
      );
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

      let termAt = 0;
      await b.bus.subscribe((e) => {
        if (e.plan === plan.id && e.step === 0 && e.kind === 'started' && !termAt) {
          termAt = Date.now();
          child.kill('SIGTERM');
        }
      });
      await b.approvals.approve(plan.id, 'UA');
      expect(await exit).toBe(0);
      expect(termAt).toBeGreaterThan(0);
      const rec = await b.store.get(plan.id);
      expect(rec?.status, rec?.result?.detail).toBe('succeeded');
      expect(rec?.progress.nextStep).toBe(2);
      expect(await b.queue.jobState(plan.id)).toBe('completed');
      await cluster.waitHealthy(30_000);
    });
  });
});
