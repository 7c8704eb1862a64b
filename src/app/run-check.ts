/**
 * The worker's check before it starts a plan: every approval rule again, at run time. Approvals may have
 * been given long ago, an approver may have left the list, or someone with write access to the control Redis
 * may have written an approval by hand: none of those runs.
 */
import type { PlanRecord } from '../core/plan-record.ts';
import { needsTwoApprovers } from '../core/plans/plan.ts';
import { type Clock, systemClock } from '../core/ports.ts';
import { type ApprovalSealer, planHash } from './approval-seal.ts';
import type { ApproverSet } from './approver-set.ts';
import { utcTime } from './messages/kit.ts';

export type RunRefusalCode =
  | 'APPROVAL_MISSING'
  | 'APPROVAL_FORGED'
  | 'APPROVER_REMOVED'
  | 'SELF_APPROVED'
  | 'APPROVAL_TOO_OLD'
  | 'APPROVERS_UNRESOLVED';

export type RunVerdict = { ok: true } | { ok: false; code: RunRefusalCode; reason: string };

export interface RunCheckPolicy {
  approvers: ApproverSet;
  allowSelfApproval: boolean;
  sealer: ApprovalSealer;
  /** PLAN_MAX_QUEUED: the longest an approved plan may wait for a worker, from its approval. */
  maxQueuedMs: number;
  clock?: Clock;
}

/** `90 s`, `15 min`. */
const span = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

const refuse = (code: RunRefusalCode, reason: string): RunVerdict => ({ ok: false, code, reason });

/** How many different approvers the plan needs, from the plan itself (the record's own field may be altered). */
function approvalsNeeded(rec: PlanRecord): number {
  const byPlan = rec.plan.steps.some(needsTwoApprovers) || rec.plan.approvalsNeeded === 2 ? 2 : 1;
  return Math.max(byPlan, rec.approvalsNeeded === 2 ? 2 : 1);
}

/**
 * Checks every approval rule on `rec` now. Seals, count and self-approval are checked on every start (a
 * resumed plan too); approver membership and age only before the first step, since a half-run plan is
 * better finished than dropped.
 */
export async function checkBeforeRun(rec: PlanRecord, policy: RunCheckPolicy): Promise<RunVerdict> {
  const clock = policy.clock ?? systemClock;
  const { plan } = rec;
  const hash = planHash(plan);
  const approvals = Array.isArray(rec.approvals) ? rec.approvals : [];
  for (const a of approvals) {
    const claim = { planId: plan.id, planHash: hash, user: a.user, at: a.at, cluster: plan.cluster };
    if (!policy.sealer.verify(claim, a.sig))
      return refuse(
        'APPROVAL_FORGED',
        `the approval recorded for <@${a.user}> carries no valid seal: it was not given through redis-medic, or the plan changed after it (or APPROVAL_SECRET differs between bot and worker)`,
      );
    if (!policy.allowSelfApproval && a.user === plan.requestedBy)
      return refuse('SELF_APPROVED', `<@${a.user}> asked for this plan and cannot approve it`);
  }
  const needed = approvalsNeeded(rec);
  const distinct = new Set(approvals.map((a) => a.user));
  if (distinct.size < needed)
    return refuse('APPROVAL_MISSING', `it needs ${needed} different approver(s) and has ${distinct.size}`);

  const started = rec.status === 'running' || rec.progress.nextStep > 0;
  if (started) return { ok: true };
  for (const user of distinct) {
    let member: boolean;
    try {
      member = await policy.approvers.has(user, { fresh: true });
    } catch (err) {
      return refuse('APPROVERS_UNRESOLVED', `the approver list could not be read: ${(err as Error).message}`);
    }
    if (!member) return refuse('APPROVER_REMOVED', `<@${user}> approved it but is no longer an approver`);
  }
  const times = approvals.map((a) => a.at).sort((x, y) => x - y);
  const approvedAt = times[needed - 1] ?? 0;
  const age = clock.now() - approvedAt;
  if (age > policy.maxQueuedMs)
    return refuse(
      'APPROVAL_TOO_OLD',
      `it was approved at ${utcTime(approvedAt)} and waited ${span(age)}, more than the ${span(policy.maxQueuedMs)} allowed (PLAN_MAX_QUEUED): the cluster may have changed since — run /redis diagnose again`,
    );
  return { ok: true };
}
