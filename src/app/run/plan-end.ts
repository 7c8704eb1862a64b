/** How a run tells the others: events on the bus, the audit trail, the final status, and the plans waiting behind. */
import type { AuditLog, PlanRecord, PlanResult } from '../../core/plan-record.ts';
import { isTerminal } from '../../core/plan-record.ts';
import type { ExecEvent } from '../../core/types.ts';
import { errFields } from '../../logger.ts';
import { plansTotal } from '../../metrics.ts';
import type { RunDeps } from './ports.ts';

export async function publish(deps: RunDeps, e: ExecEvent): Promise<void> {
  deps.log?.debug({ event: e }, 'exec event');
  await deps.bus?.publish(e).catch((err) => deps.log?.warn(errFields(err), 'event bus publish failed'));
}

export async function audit(deps: RunDeps, entry: Parameters<AuditLog['record']>[0]): Promise<void> {
  await deps.audit?.record(entry).catch((err) => deps.log?.warn(errFields(err), 'audit append failed'));
}

/** Wakes the plans waiting for `cluster`, so one of them takes it now rather than at its next poll. */
export async function wakeWaiters(deps: RunDeps, cluster: string): Promise<void> {
  for (const id of await deps.store.waiters(cluster)) {
    try {
      await deps.waiters.wake(id);
    } catch {
      // It may have just moved on by itself.
    }
  }
}

/** Writes the final status, then publishes `finished` (the executor's own, held back until the store says so). */
export async function finishPlan(
  deps: RunDeps,
  rec: PlanRecord,
  result: PlanResult,
  heldFinished: ExecEvent | null,
): Promise<void> {
  const { id, cluster } = rec.plan;
  const t = await deps.store.finish(id, result);
  if (!t.ok) {
    // Someone else already finished it (a worker that took the job back): say nothing twice.
    deps.log?.warn({ plan: id, code: t.code }, 'plan already finished elsewhere');
    await wakeWaiters(deps, cluster);
    return;
  }
  plansTotal.inc({ outcome: result.status });
  await audit(deps, {
    who: 'worker',
    what: 'result',
    cluster,
    plan: id,
    outcome: result.status,
    detail: result.detail,
  });
  await publish(deps, {
    ...(heldFinished ?? {}),
    plan: id,
    cluster,
    step: -1,
    kind: 'finished',
    status: result.status,
    detail: result.detail,
    at: deps.clock.now(),
  });
  await wakeWaiters(deps, cluster);
}

/** A job that failed outside its run (taken back too often, lost lock): its plan fails and frees the cluster. */
export async function failUnfinishedPlan(deps: RunDeps, planId: string, detail: string): Promise<void> {
  const rec = await deps.store.get(planId);
  if (!rec || isTerminal(rec.status)) return;
  await finishPlan(deps, rec, { status: 'failed', detail, finishedAt: deps.clock.now() }, null);
}
