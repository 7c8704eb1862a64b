import { asCodedError } from '../../core/errors.ts';
import { type EventBus, isTerminal, type PlanRecord } from '../../core/plan-record.ts';
import { every } from '../every.ts';
import type { ProgressState } from '../messages/index.ts';
import { esc, renderMrkdwn } from '../messages/index.ts';
import {
  idle,
  onExecEvent,
  onPlanEvent,
  ownsPlan,
  type PlanThreads,
  progressFromRecord,
  schedulePlanUpdate,
  track,
  watchPlan,
} from './plan-thread.ts';

/** Steps the thread already shows as over. */
const stepsOver = (p: ProgressState) =>
  p.steps.filter((x) => !['pending', 'running', 'waiting'].includes(x.state)).length;

/** One round: every open plan re-read from the store, its message brought up to date when it changed. */
async function reconcile(pt: PlanThreads): Promise<void> {
  for (const [planId, seen] of [...pt.open]) {
    if (pt.stopped) return;
    let rec: PlanRecord | null;
    try {
      rec = await pt.deps.store.get(planId);
    } catch {
      return; // the control Redis does not answer: next round
    }
    if (!rec?.chatRef) {
      pt.open.delete(planId);
      continue;
    }
    const ended = isTerminal(rec.status);
    if (ended && (rec.chatRef.summaryTs || !rec.result)) pt.open.delete(planId);
    if (ended) pt.unpicked.delete(planId);
    else await notePickup(pt, rec);
    const sig = `${rec.status}|${rec.progress.outcomes.length}|${rec.approvals.length}|${rec.waitingBehind ?? ''}`;
    if (sig === seen) continue;
    // Another bot process renders it: look again next round (it takes over if that one goes quiet).
    if (!(await ownsPlan(pt, planId))) continue;
    if (ended) pt.open.delete(planId);
    else pt.open.set(planId, sig);
    const t = track(pt, planId);
    if (
      rec.progress.outcomes.length > (t.progress ? stepsOver(t.progress) : 0) ||
      (rec.result && !t.progress?.status)
    ) {
      t.progress = progressFromRecord(rec);
      t.progressDirty = true;
    }
    if (ended && rec.result && !rec.chatRef.summaryTs) t.summaryDue = true;
    schedulePlanUpdate(pt, planId);
  }
}

/**
 * With ROLE=bot, the plan runs on a separate worker. If none is running (scaled to zero, crash-looping, not
 * reaching the control Redis), an approved plan would sit "queued" without a word: say so in its thread, once.
 */
async function notePickup(pt: PlanThreads, rec: PlanRecord): Promise<void> {
  const { chat, clock, log } = pt.deps;
  const after = pt.deps.settings.pickupWarnMs ?? 30_000;
  const id = rec.plan.id;
  if (after <= 0 || pt.unpicked.has(id) || rec.waitingBehind || !['approved', 'queued'].includes(rec.status))
    return;
  const approvedAt = Math.max(...rec.approvals.map((a) => a.at));
  if (clock.now() - approvedAt < after || !rec.chatRef || !(await ownsPlan(pt, id))) return;
  pt.unpicked.add(id);
  const text = `:hourglass: Plan \`${esc(id)}\` was approved ${Math.round((clock.now() - approvedAt) / 1000)} s ago and no worker has started it. Workers are the processes with ROLE=worker (or ROLE=all): check that one is running and reaches the control Redis. The plan stays queued and runs, re-checking every step first, as soon as one does; \`/redis cancel ${esc(id)}\` withdraws it.`;
  log.warn({ plan: id, afterMs: after }, 'approved plan not picked up by any worker');
  await chat
    .post(rec.chatRef.channel, renderMrkdwn(text, `Plan ${id}: no worker yet`), {
      threadTs: rec.chatRef.threadTs ?? rec.chatRef.ts,
    })
    .catch((err) =>
      log.warn({ err: asCodedError(err).message, plan: id }, 'could not post the no-worker note'),
    );
}

/** Subscribes to the bus's exec and plan events and starts the reconcile rounds. */
export async function startPlanThreads(
  pt: PlanThreads,
  bus: Pick<EventBus, 'subscribe' | 'subscribePlan'>,
): Promise<void> {
  const { store, clock, log } = pt.deps;
  pt.stopped = false;
  pt.unsubscribers.push(await bus.subscribe((e) => onExecEvent(pt, e)));
  pt.unsubscribers.push(await bus.subscribePlan((e) => onPlanEvent(pt, e)));
  const period = pt.deps.settings.reconcileMs ?? 3000;
  if (period <= 0) return;
  // Plans under way when this process (re)started, and plans that ended while no bot was there to say
  // so (within the hour): their message and thread are finished from here.
  const now = clock.now();
  const [underway, ended] = await Promise.all([
    store.list({ status: ['approved', 'queued', 'running'], limit: 200 }),
    store.list({ status: ['succeeded', 'failed', 'stale', 'cancelled'], limit: 50 }),
  ]).catch(() => [[], []] as PlanRecord[][]);
  for (const r of underway) watchPlan(pt, r.plan.id);
  for (const r of ended)
    if (r.result && r.chatRef && !r.chatRef.summaryTs && now - r.result.finishedAt < 3600_000)
      watchPlan(pt, r.plan.id);
  pt.stopReconciler = every(period, () => {
    pt.rounds += 1;
    return pt.open.size === 0
      ? Promise.resolve()
      : reconcile(pt).catch((err) => log.warn({ err: asCodedError(err).message }, 'plan reconcile failed'));
  });
}

/** Stops the rounds and the subscriptions, then waits for the updates already queued. */
export async function stopPlanThreads(pt: PlanThreads): Promise<void> {
  pt.stopped = true;
  pt.stopReconciler();
  pt.open.clear();
  pt.unpicked.clear();
  for (const u of pt.unsubscribers.splice(0)) await u().catch(() => {});
  await idle(pt);
}
