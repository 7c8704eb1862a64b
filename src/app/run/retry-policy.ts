/** What a run does when the executor throws: retry a transient failure while attempts remain, else end the plan. */
import { asCodedError, ErrorCodes } from '../../core/errors.ts';
import type { PlanRecord } from '../../core/plan-record.ts';
import type { ExecEvent } from '../../core/types.ts';
import { audit, finishPlan, publish } from './plan-end.ts';
import type { PlanJob, RunDeps, RunOutcome } from './ports.ts';

export const lostJob = (planId: string): RunOutcome => ({
  kind: 'lost',
  message: `plan ${planId}: this worker lost the job; another continues it`,
});

export async function afterExecutorThrew(
  deps: RunDeps,
  job: PlanJob,
  rec: PlanRecord,
  err: unknown,
  heldFinished: ExecEvent | null,
): Promise<RunOutcome> {
  const { id: planId, cluster } = rec.plan;
  if (job.lost()) return lostJob(planId);
  const e = asCodedError(err);
  const transient = e.details?.transient === true;
  const { attempts, attemptsMade } = job;
  if (transient && attemptsMade + 1 < attempts) {
    // Keep the cluster lock through the backoff: no other plan of this cluster runs in between.
    await deps.store.renewClusterLock(cluster, planId, deps.lockTtlMs);
    await publish(deps, {
      plan: planId,
      cluster,
      step: -1,
      kind: 'waiting',
      detail: `${e.message} — retrying (attempt ${attemptsMade + 2} of ${attempts})`,
      at: deps.clock.now(),
    });
    await audit(deps, {
      who: 'worker',
      what: 'retry',
      cluster,
      plan: planId,
      outcome: e.code,
      detail: `attempt ${attemptsMade + 1} of ${attempts}: ${e.message}`,
    });
    return { kind: 'retry', error: err };
  }
  const status = e.code === ErrorCodes.PreconditionFailed ? 'stale' : 'failed';
  await finishPlan(
    deps,
    rec,
    { status, detail: `${e.code}: ${e.message}`, finishedAt: deps.clock.now() },
    heldFinished,
  );
  return { kind: 'give-up', message: `${status}: ${e.message}` };
}
