/**
 * The production worker (`ROLE=worker`, started as `npm start` starts it: tsx src/main.ts) SIGKILLed in the
 * middle of a plan, with its whole process group, as a container runtime kills it: another worker process
 * takes the job back and finishes the plan from the first unfinished step, never re-running a finished one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalSealer } from '../../src/app/approval-seal.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import { waitUntil } from '../../src/sandbox/local-cluster.ts';
import { commandCalls, makePlan, spareReplacesDeadReplica } from '../support/plan-fixtures.ts';
import { useCluster, useRedis } from '../support/redis-cluster.ts';

const SECRET = 'npm-start-worker-approval-secret-0123456789';
/** A Slack user id of the shape the config checks (U…). */
const APPROVER = 'U0APPROVER';
const ROOT = join(import.meta.dirname, '..', '..');
const control = useRedis();
// Redis's own first-sync delay (5 s), as in production: the replicate step is long enough to be killed in.
const target = useCluster({
  masters: 3,
  replicasPerMaster: 1,
  spares: 1,
  nodeTimeoutMs: 1000,
  extraConfig: ['repl-diskless-sync-delay 5'],
});
const workers: ChildProcess[] = [];

afterAll(() => {
  for (const w of workers) {
    try {
      if (w.pid) process.kill(-w.pid, 'SIGKILL');
    } catch {
      // that group is gone already
    }
  }
});

/** `tsx src/main.ts` with ROLE=worker (what `npm start` runs), in its own process group. */
function startWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  workers.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, output: () => out };
}

describe('the ROLE=worker process of npm start, SIGKILLed mid-plan', () => {
  it('is replaced by another that finishes the plan without re-running a finished step', async () => {
    const cluster = target.current;
    const spare = cluster.spares[0]!;
    const db = new Redis(control.current.url, { maxRetriesPerRequest: null });
    const store = createPlanStore(db);
    const audit = createAuditLog(db);
    const queue = createPlanQueue({ connection: db, prefix: planQueuePrefix('medic') });
    try {
      const { live, steps } = await spareReplacesDeadReplica(cluster, spare);
      const plan = makePlan({ cluster: 'target', steps });
      await store.create(plan);
      const forgetBefore = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));

      const env = {
        ROLE: 'worker',
        HOST: '127.0.0.1',
        PORT: '0',
        OPS_PORT: '0',
        CONTROL_REDIS_URL: control.current.url,
        REDIS_CLUSTER_NODES: [...cluster.addrs(), spare.addr].join(','),
        CLUSTER_NAME: 'target',
        APPROVERS: APPROVER,
        APPROVAL_SECRET: SECRET,
        LOG_LEVEL: 'info',
        WATCH_INTERVAL: '0',
      };
      const first = startWorker(env);
      await cluster.waitFor(
        () => /redis-medic worker started/.test(first.output()),
        30_000,
        'the first worker to start',
      );
      const approvals = createApprovalService({
        store,
        queue,
        audit,
        policy: { approvers: [APPROVER], allowSelfApproval: false },
        sealer: createApprovalSealer(SECRET),
      });
      expect(await approvals.approve(plan.id, APPROVER)).toMatchObject({ ok: true, state: 'approved' });

      // Killed as soon as the forget step is recorded: mid-plan, whatever step it is then in.
      await waitUntil(
        async () => ((await store.get(plan.id))?.progress.nextStep ?? 0) >= 1,
        30_000,
        'the first worker to finish the forget step',
        5,
      );
      const exited = new Promise((r) => first.child.once('exit', r));
      process.kill(-first.child.pid!, 'SIGKILL');
      await exited;
      const mid = await store.get(plan.id);
      expect(mid?.status).toBe('running');
      expect(mid?.progress.nextStep).toBeGreaterThanOrEqual(1);
      expect(mid?.progress.nextStep).toBeLessThan(3);

      const second = startWorker(env);
      await cluster.waitFor(
        async () => ['succeeded', 'failed', 'stale'].includes((await store.get(plan.id))?.status ?? ''),
        100_000,
        `the second worker to finish the plan\n${second.output().slice(-2000)}`,
      );
      const rec = await store.get(plan.id);
      expect(rec?.status, rec?.result?.detail).toBe('succeeded');
      expect(rec?.progress.outcomes.map((o) => o.index)).toEqual([0, 1, 2]);
      // The forget step ran once: one FORGET per live node, none from the second worker.
      const forgetAfter = await Promise.all(live.map((n) => commandCalls(cluster, n, 'cluster|forget')));
      expect(forgetAfter.map((a, i) => a - forgetBefore[i]!)).toEqual(live.map(() => 1));
      const trail = await audit.forPlan(plan.id);
      expect(
        trail.some(
          (e) => e.what === 'resume' && e.detail?.includes(`from step ${mid!.progress.nextStep + 1}`),
        ),
      ).toBe(true);
      await cluster.waitHealthy(30_000);
      expect(await cluster.roleOf(spare)).toBe('replica');
    } finally {
      await queue.close();
      db.disconnect();
    }
  }, 200_000);
});
