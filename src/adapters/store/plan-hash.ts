import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { isPlanId } from '../../core/plan-id.ts';
import type {
  ChatRef,
  PlanRecord,
  PlanResult,
  PlanStatus,
  StepOutcomeRecord,
} from '../../core/plan-record.ts';
import { needsTwoApprovers } from '../../core/plans/plan.ts';
import type { Plan } from '../../core/types.ts';

/** Steps that need two different approvers whatever the planner said. */
export function approvalsNeededFor(plan: Plan): 1 | 2 {
  return plan.steps.some(needsTwoApprovers) || plan.approvalsNeeded === 2 ? 2 : 1;
}

/** Plan ids become BullMQ job ids and key parts: no `:`, not all digits. */
export function assertPlanId(id: string): void {
  if (!isPlanId(id))
    throw new CodedError(
      ErrorCodes.BadTransition,
      `plan id "${id}" must be letters, digits, - _ . (not all digits)`,
    );
}

function parseJson<T>(raw: string | undefined, fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

/** cjson encodes an empty Lua table as `{}`: turn that back into []. */
function asArray<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** The hash fields of a new plan record (the plan itself as JSON, never touched by Lua). */
export function hashOfNewPlan(plan: Plan, now: number, chatRef?: ChatRef): Record<string, string | number> {
  const fields: Record<string, string | number> = {
    plan: JSON.stringify(plan),
    status: 'proposed',
    cluster: plan.cluster,
    requestedBy: plan.requestedBy,
    createdAt: plan.createdAt,
    expiresAt: plan.expiresAt,
    approvalsNeeded: approvalsNeededFor(plan),
    approvals: '[]',
    progress: JSON.stringify({ nextStep: 0, outcomes: [] }),
    updatedAt: now,
  };
  if (chatRef) fields.chatRef = JSON.stringify(chatRef);
  return fields;
}

/** A plan record from its hash; null when the hash is gone (past its retention) or holds no plan. */
export function recordFromHash(h: Record<string, string>): PlanRecord | null {
  if (!h.plan) return null;
  const plan = JSON.parse(h.plan) as Plan;
  const progress = parseJson<{ nextStep?: number; outcomes?: unknown }>(h.progress, {});
  const rec: PlanRecord = {
    plan,
    status: h.status as PlanStatus,
    approvalsNeeded: h.approvalsNeeded === '2' ? 2 : 1,
    approvals: asArray(parseJson(h.approvals, [])),
    progress: {
      nextStep: Number(progress.nextStep ?? 0),
      outcomes: asArray<StepOutcomeRecord>(progress.outcomes).sort((a, b) => a.index - b.index),
    },
    updatedAt: Number(h.updatedAt ?? 0),
  };
  if (h.rejectedBy) rec.rejectedBy = h.rejectedBy;
  if (h.cancelledBy) rec.cancelledBy = h.cancelledBy;
  if (h.result) rec.result = parseJson<PlanResult | undefined>(h.result, undefined);
  if (h.chatRef) rec.chatRef = parseJson<ChatRef | undefined>(h.chatRef, undefined);
  if (h.waitingBehind) rec.waitingBehind = h.waitingBehind;
  if (h.cancelRequestedBy) rec.cancelRequestedBy = h.cancelRequestedBy;
  return rec;
}
