import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ExecutorDeps, executePlan, type StepOutcome } from '../../app/executor.ts';
import type { RunVerdict } from '../../app/run-check.ts';
import { asCodedError, ErrorCodes } from '../../core/errors.ts';
import type {
  AuditLog,
  EventBus,
  PlanRecord,
  PlanResult,
  StepOutcomeRecord,
} from '../../core/plan-record.ts';
import { isTerminal } from '../../core/plan-record.ts';
import type { Clock, Reporter } from '../../core/ports.ts';
import { systemClock } from '../../core/ports.ts';
import type { ExecEvent } from '../../core/types.ts';
import { errFields, type Logger } from '../../logger.ts';
import { plansTotal, stepDuration } from '../../metrics.ts';
import type { ControlPlanStore } from '../store/plan-store.ts';
import { PLANS_QUEUE, type PlanJobData, planQueuePrefix } from './plan-queue.ts';

/** Executor deps of one cluster. The worker adds its own reporter (bus + audit) in front of yours. */
export type ClusterExecutorDeps = Omit<ExecutorDeps, 'reporter'> & { reporter?: Reporter };

export interface PlanWorkerOptions {
  /** Control-Redis connection with `maxRetriesPerRequest: null` (BullMQ requires it); the caller closes it. */
  connection: Redis;
  /** BullMQ prefix (default `medic:bull`, see planQueuePrefix). */
  prefix?: string;
  queueName?: string;
  store: ControlPlanStore;
  bus?: EventBus;
  audit?: AuditLog;
  executorDepsFor(cluster: string): ClusterExecutorDeps | Promise<ClusterExecutorDeps>;
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

function toOutcomeRecord(index: number, o: StepOutcome): StepOutcomeRecord {
  return { index, outcome: o.outcome, ms: o.ms, detail: o.detail };
}

/** Runs approved plans: one job per plan, one plan at a time per cluster, resuming where a dead worker stopped. */
export function startPlanWorker(opts: PlanWorkerOptions): PlanWorker {
  const clock = opts.clock ?? systemClock;
  const { store } = opts;
  const log = opts.logger;
  const prefix = opts.prefix ?? planQueuePrefix();
  const queueName = opts.queueName ?? PLANS_QUEUE;
  const lockTtl = opts.clusterLockTtlMs ?? 10 * 60_000;
  const waitPollMs = opts.waitPollMs ?? 2000;
  const cancelPollMs = opts.cancelPollMs ?? 1000;
  // Used only to wake delayed jobs of plans waiting for a cluster.
  const queue = new Queue<PlanJobData>(queueName, { connection: opts.connection, prefix });
  queue.on('error', (err) => log?.warn({ err: err.message }, 'plan queue error'));

  async function publish(e: ExecEvent) {
    log?.debug({ event: e }, 'exec event');
    await opts.bus?.publish(e).catch((err) => log?.warn(errFields(err), 'event bus publish failed'));
  }
  async function audit(entry: Parameters<AuditLog['record']>[0]) {
    await opts.audit?.record(entry).catch((err) => log?.warn(errFields(err), 'audit append failed'));
  }

  async function wakeWaiters(cluster: string) {
    for (const id of await store.waiters(cluster)) {
      try {
        const job = await queue.getJob(id);
        if (job && (await job.isDelayed())) await job.promote();
      } catch {
        // It may have just moved on by itself.
      }
    }
  }

  /** Writes the final status, then publishes `finished` (the executor's own, held back until the store says so). */
  async function finish(rec: PlanRecord, result: PlanResult, heldFinished: ExecEvent | null) {
    const t = await store.finish(rec.plan.id, result);
    if (!t.ok) {
      // Someone else already finished it (a worker that took the job back): say nothing twice.
      log?.warn({ plan: rec.plan.id, code: t.code }, 'plan already finished elsewhere');
      await wakeWaiters(rec.plan.cluster);
      return t;
    }
    plansTotal.inc({ outcome: result.status });
    await audit({
      who: 'worker',
      what: 'result',
      cluster: rec.plan.cluster,
      plan: rec.plan.id,
      outcome: result.status,
      detail: result.detail,
    });
    await publish({
      ...(heldFinished ?? {}),
      plan: rec.plan.id,
      cluster: rec.plan.cluster,
      step: -1,
      kind: 'finished',
      status: result.status,
      detail: result.detail,
      at: clock.now(),
    });
    await wakeWaiters(rec.plan.cluster);
    return t;
  }

  async function waitBehind(job: Job<PlanJobData>, token: string, rec: PlanRecord, holder: string) {
    const { id, cluster } = rec.plan;
    await store.addWaiter(cluster, id, clock.now());
    if (rec.waitingBehind !== holder) {
      await store.setWaiting(id, holder, clock.now());
      const detail = `waiting behind plan ${holder}, which is running on ${cluster}`;
      await publish({ plan: id, cluster, step: -1, kind: 'waiting', detail, at: clock.now() });
      await opts.bus
        ?.publishPlan({ plan: id, cluster, kind: 'waiting', behind: holder, detail, at: clock.now() })
        .catch(() => {});
      await audit({ who: 'worker', what: 'waiting', cluster, plan: id, outcome: 'waiting', detail });
    }
    await job.moveToDelayed(Date.now() + waitPollMs, token);
    throw new DelayedError();
  }

  /** Ends a plan the run-time check refused: audited, and said in its thread through the `finished` event. */
  async function refuseToRun(rec: PlanRecord, verdict: Extract<RunVerdict, { ok: false }>): Promise<never> {
    const { id, cluster } = rec.plan;
    log?.warn({ plan: id, code: verdict.code }, 'plan refused at run time');
    await audit({
      who: 'worker',
      what: 'refusal',
      cluster,
      plan: id,
      outcome: verdict.code,
      detail: verdict.reason,
    });
    const detail = `Refused before running (${verdict.code}): ${verdict.reason}. Nothing was sent to the cluster.`;
    await finish(rec, { status: 'failed', detail, finishedAt: clock.now() }, null);
    throw new UnrecoverableError(detail);
  }

  // Jobs whose BullMQ lock this worker lost (another worker took them back): stop, and leave the plan alone.
  const lostLock = new Set<string>();

  async function processJob(job: Job<PlanJobData>, token?: string, bullSignal?: AbortSignal) {
    const planId = job.data.planId;
    const first = await store.get(planId);
    if (!first) throw new UnrecoverableError(`plan ${planId} is not in the store`);
    if (isTerminal(first.status)) return { status: first.status, skipped: true };
    if (first.status === 'proposed') throw new UnrecoverableError(`plan ${planId} is not approved`);
    const cluster = first.plan.cluster;
    const lock = await store.acquireClusterLock(cluster, planId, lockTtl);
    if (!lock.ok) return waitBehind(job, token ?? '', first, lock.holder);
    await store.removeWaiter(cluster, planId);
    // Checked once the plan may run (not on every poll while it waits): finish() then frees the lock again.
    const verdict = await opts.checkBeforeRun(first);
    if (!verdict.ok) return refuseToRun(first, verdict);
    const renew = setInterval(
      () => {
        store.renewClusterLock(cluster, planId, lockTtl).catch(() => {});
      },
      Math.max(250, Math.min(lockTtl / 3, 10_000)),
    );
    // Stops the executor before its next step: a person cancelled the plan, or this worker lost the job.
    const abort = new AbortController();
    const onBullAbort = () => abort.abort();
    bullSignal?.addEventListener('abort', onBullAbort);
    const watchCancel = setInterval(() => {
      store.cancelRequestedBy(planId).then(
        (by) => by && abort.abort(),
        () => {},
      );
    }, cancelPollMs);
    try {
      const running = await store.markRunning(planId, clock.now());
      if (!running.ok || !running.record) {
        await store.releaseClusterLock(cluster, planId);
        await wakeWaiters(cluster);
        return { status: running.record?.status ?? 'missing', skipped: true };
      }
      const rec = running.record;
      const fromStep = rec.progress.nextStep;
      if (fromStep === 0 && job.attemptsMade === 0 && job.stalledCounter === 0)
        await opts.bus
          ?.publishPlan({ plan: planId, cluster, kind: 'running', detail: 'running', at: clock.now() })
          .catch(() => {});
      else
        await audit({
          who: 'worker',
          what: 'resume',
          cluster,
          plan: planId,
          outcome: 'resumed',
          detail: `from step ${fromStep + 1} (attempt ${job.attemptsMade + 1}, taken back ${job.stalledCounter}×)`,
        });

      let heldFinished: ExecEvent | null = null;
      let base: ClusterExecutorDeps;
      try {
        base = await opts.executorDepsFor(cluster);
      } catch (err) {
        // An unknown cluster or a bad definition: no retry can fix that.
        const e = asCodedError(err);
        await finish(
          rec,
          { status: 'failed', detail: `${e.code}: ${e.message}`, finishedAt: clock.now() },
          null,
        );
        throw new UnrecoverableError(e.message);
      }
      const reporter: Reporter = {
        async emit(e) {
          await base.reporter?.emit(e);
          // `finished` goes out once the store holds the final status, so a reader of the store agrees.
          if (e.kind === 'finished') {
            heldFinished = e;
            return;
          }
          await publish(e);
          const step = e.step >= 0 ? rec.plan.steps[e.step] : undefined;
          if (step && e.ms !== undefined && e.kind !== 'started')
            stepDuration.observe({ kind: step.kind, outcome: e.kind }, e.ms / 1000);
          if (e.kind !== 'started' && e.kind !== 'waiting')
            await audit({
              who: 'worker',
              what: 'step',
              cluster,
              plan: planId,
              outcome: e.kind,
              detail: `${e.step >= 0 ? `step ${e.step + 1}: ` : ''}${e.detail}`,
            });
        },
      };
      const deps: ExecutorDeps = { ...base, reporter };
      let result: Awaited<ReturnType<typeof executePlan>>;
      try {
        result = await executePlan(rec.plan, deps, {
          fromStep,
          signal: abort.signal,
          onStepDone: async (index, outcome) => {
            await store.recordStep(planId, toOutcomeRecord(index, outcome), clock.now());
            await job.updateProgress({ nextStep: index + 1 }).catch(() => {});
            await opts.afterStepPersisted?.(planId, index);
            // A cancel asked for during this step stops the plan here, before the next one (not a poll later).
            if (await store.cancelRequestedBy(planId).catch(() => null)) abort.abort();
          },
        });
      } catch (err) {
        if (lostLock.has(job.id ?? ''))
          throw new Error(`plan ${planId}: this worker lost the job; another continues it`);
        const e = asCodedError(err);
        const transient = e.details?.transient === true;
        const attempts = job.opts.attempts ?? 1;
        if (transient && job.attemptsMade + 1 < attempts) {
          // Keep the cluster lock through the backoff: no other plan of this cluster runs in between.
          await store.renewClusterLock(cluster, planId, lockTtl);
          await publish({
            plan: planId,
            cluster,
            step: -1,
            kind: 'waiting',
            detail: `${e.message} — retrying (attempt ${job.attemptsMade + 2} of ${attempts})`,
            at: clock.now(),
          });
          await audit({
            who: 'worker',
            what: 'retry',
            cluster,
            plan: planId,
            outcome: e.code,
            detail: `attempt ${job.attemptsMade + 1} of ${attempts}: ${e.message}`,
          });
          throw err;
        }
        const status = e.code === ErrorCodes.PreconditionFailed ? 'stale' : 'failed';
        await finish(
          rec,
          { status, detail: `${e.code}: ${e.message}`, finishedAt: clock.now() },
          heldFinished,
        );
        throw new UnrecoverableError(`${status}: ${e.message}`);
      }
      if (lostLock.has(job.id ?? ''))
        throw new Error(`plan ${planId}: this worker lost the job; another continues it`);
      const by = result.status === 'cancelled' ? await store.cancelRequestedBy(planId) : null;
      await finish(
        rec,
        {
          status: result.status,
          detail: by ? `cancelled by ${by}: ${result.detail}` : result.detail,
          finishedAt: clock.now(),
        },
        heldFinished,
      );
      if (result.status === 'cancelled') return { status: result.status };
      if (result.status !== 'succeeded') throw new UnrecoverableError(`${result.status}: ${result.detail}`);
      return { status: result.status };
    } finally {
      clearInterval(renew);
      clearInterval(watchCancel);
      bullSignal?.removeEventListener('abort', onBullAbort);
      if (job.id) lostLock.delete(job.id);
    }
  }

  const worker = new Worker<PlanJobData>(queueName, processJob, {
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
  });

  // A job that failed outside the processor (taken back too often, lost lock): mark its plan failed and free the cluster.
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return;
      const rec = await store.get(job.data.planId);
      if (!rec || isTerminal(rec.status)) return;
      await finish(rec, { status: 'failed', detail: err.message, finishedAt: clock.now() }, null);
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
