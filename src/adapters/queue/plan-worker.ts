import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { failUnfinishedPlan } from '../../app/run/plan-end.ts';
import type { PlanJob, RunDeps } from '../../app/run/ports.ts';
import { runPlan } from '../../app/run/run-plan.ts';
import type { RunVerdict } from '../../app/run-check.ts';
import type { AuditLog, EventBus, PlanRecord } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import { systemClock } from '../../core/ports.ts';
import { errFields, type Logger } from '../../logger.ts';
import type { ControlPlanStore } from '../store/plan-store.ts';
import { PLANS_QUEUE, type PlanJobData, planQueuePrefix } from './plan-queue.ts';

export interface PlanWorkerOptions {
  /** Control-Redis connection with `maxRetriesPerRequest: null` (BullMQ requires it); the caller closes it. */
  connection: Redis;
  /** BullMQ prefix (default `medic:bull`, see planQueuePrefix). */
  prefix?: string;
  queueName?: string;
  store: ControlPlanStore;
  bus?: EventBus;
  audit?: AuditLog;
  executorDepsFor: RunDeps['executorDepsFor'];
  /** Every approval rule again, before a plan starts (src/app/run-check.ts); a refusal ends the plan unrun. */
  checkBeforeRun(record: PlanRecord): Promise<RunVerdict>;
  clock?: Clock;
  logger?: Logger;
  /** Plans of different clusters run in parallel up to this (default 4). */
  concurrency?: number;
  /** BullMQ job lock (default 30 s); a dead worker's job is taken back after about lockDuration + stalledInterval. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often a job may be taken back from a dead worker before it fails (default 2). */
  maxStalledCount?: number;
  /** The cluster lock outlives a dead worker this long, so no other plan slips in before the job resumes (default 10 min). */
  clusterLockTtlMs?: number;
  /** A plan waiting behind another re-checks this often (it is also woken when the other finishes). Default 2 s. */
  waitPollMs?: number;
  /** How often a running plan checks whether someone cancelled it (default 1 s). */
  cancelPollMs?: number;
  /** Called after a step's outcome is persisted (tests hold a worker here to kill it). */
  afterStepPersisted?: (planId: string, index: number) => Promise<void>;
  /** Start fetching jobs at once (default true). */
  autorun?: boolean;
}

export interface PlanWorker {
  worker: Worker<PlanJobData>;
  /** Graceful: waits for the running plans to finish (or hand back their job), then closes. */
  close(): Promise<void>;
}

/** The BullMQ job as src/app/run/run-plan.ts sees it. */
function planJob(job: Job<PlanJobData>, lostLock: Set<string>, signal?: AbortSignal): PlanJob {
  return {
    planId: job.data.planId,
    get attemptsMade() {
      return job.attemptsMade;
    },
    get stalledCounter() {
      return job.stalledCounter;
    },
    get attempts() {
      return job.opts.attempts ?? 1;
    },
    ...(signal ? { signal } : {}),
    lost: () => lostLock.has(job.id ?? ''),
    progress: async (nextStep) => {
      await job.updateProgress({ nextStep });
    },
  };
}

/** One job: run its plan, then turn the outcome into what BullMQ understands (a value, a delay or a throw). */
async function processJob(
  deps: RunDeps,
  lostLock: Set<string>,
  job: Job<PlanJobData>,
  token?: string,
  signal?: AbortSignal,
) {
  try {
    const out = await runPlan(deps, planJob(job, lostLock, signal));
    switch (out.kind) {
      case 'result':
        return out.value;
      case 'wait':
        await job.moveToDelayed(Date.now() + out.delayMs, token ?? '');
        throw new DelayedError();
      case 'give-up':
        throw new UnrecoverableError(out.message);
      case 'retry':
        throw out.error;
      case 'lost':
        throw new Error(out.message);
    }
  } finally {
    if (job.id) lostLock.delete(job.id);
  }
}

/** Runs approved plans: one job per plan, one plan at a time per cluster, resuming where a dead worker stopped. */
export function startPlanWorker(opts: PlanWorkerOptions): PlanWorker {
  const log = opts.logger;
  const prefix = opts.prefix ?? planQueuePrefix();
  const queueName = opts.queueName ?? PLANS_QUEUE;
  // Used only to wake delayed jobs of plans waiting for a cluster.
  const queue = new Queue<PlanJobData>(queueName, { connection: opts.connection, prefix });
  queue.on('error', (err) => log?.warn({ err: err.message }, 'plan queue error'));
  const deps: RunDeps = {
    store: opts.store,
    waiters: {
      async wake(id) {
        const job = await queue.getJob(id);
        if (job && (await job.isDelayed())) await job.promote();
      },
    },
    ...(opts.bus ? { bus: opts.bus } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
    executorDepsFor: opts.executorDepsFor,
    checkBeforeRun: opts.checkBeforeRun,
    clock: opts.clock ?? systemClock,
    ...(log ? { log } : {}),
    lockTtlMs: opts.clusterLockTtlMs ?? 10 * 60_000,
    waitPollMs: opts.waitPollMs ?? 2000,
    cancelPollMs: opts.cancelPollMs ?? 1000,
    ...(opts.afterStepPersisted ? { afterStepPersisted: opts.afterStepPersisted } : {}),
  };
  // Jobs whose BullMQ lock this worker lost (another worker took them back): stop, and leave the plan alone.
  const lostLock = new Set<string>();

  const worker = new Worker<PlanJobData>(
    queueName,
    (job, token, signal) => processJob(deps, lostLock, job, token, signal),
    {
      connection: opts.connection,
      prefix,
      concurrency: opts.concurrency ?? 4,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
      autorun: opts.autorun ?? true,
      // After a control-Redis outage BullMQ waits this long before fetching again (its default is 15 s):
      // an approval given just after the control Redis came back should start within seconds.
      runRetryDelay: 2_000,
    },
  );

  // A job that failed outside the processor (taken back too often, lost lock): mark its plan failed and free the cluster.
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return;
      await failUnfinishedPlan(deps, job.data.planId, err.message);
    })().catch((e) => log?.warn(errFields(e), 'could not record a failed job'));
  });
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      lostLock.add(id);
      worker.cancelJob(id, 'this worker lost the job lock');
    }
  });
  worker.on('error', (err) => log?.warn({ err: err.message }, 'plan worker error'));

  return {
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
