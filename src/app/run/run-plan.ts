/**
 * Runs one approved plan for the queue: one plan at a time per cluster (the others wait behind it), every
 * approval rule checked again, resumed where a dead worker stopped, stopped before its next step when cancelled.
 */
import { asCodedError } from '../../core/errors.ts';
import { isTerminal, type PlanRecord } from '../../core/plan-record.ts';
import type { RunVerdict } from '../run-check.ts';
import { type ClusterExecutorDeps, type ExecResult, executePlan } from './executor.ts';
import { audit, finishPlan, publish, wakeWaiters } from './plan-end.ts';
import type { PlanJob, RunDeps, RunOutcome } from './ports.ts';
import { afterExecutorThrew, lostJob } from './retry-policy.ts';
import { guardRun, type RunGuard } from './run-guard.ts';
import { createRunReporter } from './run-reporter.ts';

const skipped = (status: string): RunOutcome => ({ kind: 'result', value: { status, skipped: true } });
const giveUp = (message: string): RunOutcome => ({ kind: 'give-up', message });

export async function runPlan(deps: RunDeps, job: PlanJob): Promise<RunOutcome> {
  const { store } = deps;
  const planId = job.planId;
  const first = await store.get(planId);
  if (!first) return giveUp(`plan ${planId} is not in the store`);
  if (isTerminal(first.status)) return skipped(first.status);
  if (first.status === 'proposed') return giveUp(`plan ${planId} is not approved`);
  const cluster = first.plan.cluster;
  const lock = await store.acquireClusterLock(cluster, planId, deps.lockTtlMs);
  if (!lock.ok) return waitBehind(deps, first, lock.holder);
  await store.removeWaiter(cluster, planId);
  // Checked once the plan may run (not on every poll while it waits): finishPlan then frees the lock again.
  const verdict = await deps.checkBeforeRun(first);
  if (!verdict.ok) return refuseToRun(deps, first, verdict);
  const guard = guardRun(deps, job, cluster);
  try {
    return await runLocked(deps, job, guard, cluster);
  } finally {
    guard.stop();
  }
}

/** Another plan holds the cluster: say so once, and come back after a poll (or when woken). */
async function waitBehind(deps: RunDeps, rec: PlanRecord, holder: string): Promise<RunOutcome> {
  const { store, clock } = deps;
  const { id, cluster } = rec.plan;
  await store.addWaiter(cluster, id, clock.now());
  if (rec.waitingBehind !== holder) {
    await store.setWaiting(id, holder, clock.now());
    const detail = `waiting behind plan ${holder}, which is running on ${cluster}`;
    await publish(deps, { plan: id, cluster, step: -1, kind: 'waiting', detail, at: clock.now() });
    await deps.bus
      ?.publishPlan({ plan: id, cluster, kind: 'waiting', behind: holder, detail, at: clock.now() })
      .catch(() => {});
    await audit(deps, { who: 'worker', what: 'waiting', cluster, plan: id, outcome: 'waiting', detail });
  }
  return { kind: 'wait', delayMs: deps.waitPollMs };
}

/** Ends a plan the run-time check refused: audited, and said in its thread through the `finished` event. */
async function refuseToRun(
  deps: RunDeps,
  rec: PlanRecord,
  verdict: Extract<RunVerdict, { ok: false }>,
): Promise<RunOutcome> {
  const { id, cluster } = rec.plan;
  deps.log?.warn({ plan: id, code: verdict.code }, 'plan refused at run time');
  await audit(deps, {
    who: 'worker',
    what: 'refusal',
    cluster,
    plan: id,
    outcome: verdict.code,
    detail: verdict.reason,
  });
  const detail = `Refused before running (${verdict.code}): ${verdict.reason}. Nothing was sent to the cluster.`;
  await finishPlan(deps, rec, { status: 'failed', detail, finishedAt: deps.clock.now() }, null);
  return giveUp(detail);
}

/** The plan holds its cluster: mark it running, run it from where it stopped, and record how it ended. */
async function runLocked(deps: RunDeps, job: PlanJob, guard: RunGuard, cluster: string): Promise<RunOutcome> {
  const { store, clock } = deps;
  const planId = job.planId;
  const running = await store.markRunning(planId, clock.now());
  if (!running.ok || !running.record) {
    await store.releaseClusterLock(cluster, planId);
    await wakeWaiters(deps, cluster);
    return skipped(running.record?.status ?? 'missing');
  }
  const rec = running.record;
  const fromStep = rec.progress.nextStep;
  await announceStart(deps, job, rec, fromStep);

  let base: ClusterExecutorDeps;
  try {
    base = await deps.executorDepsFor(cluster);
  } catch (err) {
    // An unknown cluster or a bad definition: no retry can fix that.
    const e = asCodedError(err);
    const detail = `${e.code}: ${e.message}`;
    await finishPlan(deps, rec, { status: 'failed', detail, finishedAt: clock.now() }, null);
    return giveUp(e.message);
  }
  const run = createRunReporter(deps, rec, base.reporter);
  let result: ExecResult;
  try {
    result = await executePlan(
      rec.plan,
      { ...base, reporter: run.reporter },
      {
        fromStep,
        signal: guard.signal,
        onStepDone: async (index, o) => {
          await store.recordStep(
            planId,
            { index, outcome: o.outcome, ms: o.ms, detail: o.detail },
            clock.now(),
          );
          await job.progress(index + 1).catch(() => {});
          await deps.afterStepPersisted?.(planId, index);
          // A cancel asked for during this step stops the plan here, before the next one (not a poll later).
          await guard.checkCancel();
        },
      },
    );
  } catch (err) {
    return afterExecutorThrew(deps, job, rec, err, run.heldFinished());
  }
  if (job.lost()) return lostJob(planId);
  const by = result.status === 'cancelled' ? await store.cancelRequestedBy(planId) : null;
  const detail = by ? `cancelled by ${by}: ${result.detail}` : result.detail;
  await finishPlan(deps, rec, { status: result.status, detail, finishedAt: clock.now() }, run.heldFinished());
  if (result.status === 'cancelled' || result.status === 'succeeded')
    return { kind: 'result', value: { status: result.status } };
  return giveUp(`${result.status}: ${result.detail}`);
}

/** A first start tells the plan's thread it runs; a resumed one says where it picks up, in the audit trail. */
async function announceStart(deps: RunDeps, job: PlanJob, rec: PlanRecord, fromStep: number): Promise<void> {
  const { id: planId, cluster } = rec.plan;
  if (fromStep === 0 && job.attemptsMade === 0 && job.stalledCounter === 0)
    await deps.bus
      ?.publishPlan({ plan: planId, cluster, kind: 'running', detail: 'running', at: deps.clock.now() })
      .catch(() => {});
  else
    await audit(deps, {
      who: 'worker',
      what: 'resume',
      cluster,
      plan: planId,
      outcome: 'resumed',
      detail: `from step ${fromStep + 1} (attempt ${job.attemptsMade + 1}, taken back ${job.stalledCounter}×)`,
    });
}
