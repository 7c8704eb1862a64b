/**
 * The approval guard: who may approve, reject or cancel a plan, and what happens when they do.
 * The rules that depend only on the caller (approver list, self-approval) are checked here; the rules that
 * depend on the plan's state (expiry, already approved, second approver) are decided atomically by the store,
 * so two approvals, or an approval racing a rejection or an expiry, never both win.
 */
import type {
  AuditLog,
  EventBus,
  PlanEvent,
  PlanQueuePort,
  PlanRecord,
  PlanStore,
} from '../core/plan-record.ts';
import type { Clock } from '../core/ports.ts';
import { systemClock } from '../core/ports.ts';
import { type ApprovalSealer, planHash } from './approval-seal.ts';
import { type ApproverSet, isUserGroupId } from './approver-set.ts';
import { utcTime } from './messages/kit.ts';

export interface ApprovalPolicy {
  /** Chat user ids allowed to approve and reject (APPROVERS). */
  approvers: readonly string[];
  /** ALLOW_SELF_APPROVAL. */
  allowSelfApproval: boolean;
}

/** Stable codes of every refusal; the reason is the sentence a person reads. */
export type RefusalCode =
  | 'NOT_FOUND'
  | 'NOT_APPROVER'
  | 'SELF_APPROVAL'
  | 'EXPIRED'
  | 'ALREADY_APPROVED'
  | 'ALREADY_APPROVED_BY_YOU'
  | 'REJECTED'
  | 'CANCELLED'
  | 'FINISHED'
  | 'RUNNING'
  | 'NOT_ALLOWED';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  reason: string;
  record: PlanRecord | null;
}

export type ApprovalOutcome =
  | {
      ok: true;
      /** `approved`: it will run; `needs-second-approver`: one approval recorded, one more needed. */
      state: 'approved' | 'needs-second-approver';
      record: PlanRecord;
      message: string;
    }
  | Refusal;

export type DecisionOutcome = { ok: true; record: PlanRecord; message: string } | Refusal;

const mention = (user: string) => `<@${user}>`;

function listApprovers(approvers: readonly string[]): string {
  return approvers.map((a) => (isUserGroupId(a) ? `<!subteam^${a}>` : mention(a))).join(', ');
}

/** The readable reason for a refusal code. Pure. */
export function refusalReason(
  code: RefusalCode,
  ctx: { record?: PlanRecord | null; policy?: ApprovalPolicy; verb?: 'approve' | 'reject' | 'cancel' },
): string {
  const rec = ctx.record ?? null;
  const verb = ctx.verb ?? 'approve';
  switch (code) {
    case 'NOT_FOUND':
      return verb === 'cancel'
        ? 'No such plan — check its id with /redis plans'
        : 'No such plan — it may have been removed. Run /redis diagnose again';
    case 'NOT_APPROVER': {
      const approvers = ctx.policy?.approvers ?? [];
      return approvers.length
        ? `You are not in APPROVERS — ask one of ${listApprovers(approvers)}`
        : 'Nobody can approve plans: APPROVERS is empty — set it to the Slack user ids of the approvers';
    }
    case 'SELF_APPROVAL':
      return 'You asked for this plan; another approver must approve it';
    case 'EXPIRED':
      return `This plan expired at ${utcTime(rec?.plan.expiresAt ?? 0)} — run /redis diagnose again`;
    case 'ALREADY_APPROVED': {
      const by = rec?.approvals.map((a) => mention(a.user)).join(' and ') || 'someone';
      return `Already approved by ${by} — it runs once`;
    }
    case 'ALREADY_APPROVED_BY_YOU':
      return 'You already approved this plan; it needs a second, different approver';
    case 'REJECTED':
      return `This plan was rejected by ${mention(rec?.rejectedBy ?? '?')} — run /redis diagnose again`;
    case 'CANCELLED':
      return `This plan was cancelled by ${mention(rec?.cancelledBy ?? '?')}`;
    case 'FINISHED':
      return `This plan already ran (${rec?.status ?? 'finished'})${rec?.result?.detail ? `: ${rec.result.detail}` : ''}`;
    case 'RUNNING':
      return `This plan is ${rec?.status ?? 'running'} and can no longer be ${verb === 'cancel' ? 'cancelled' : 'changed'}`;
    case 'NOT_ALLOWED':
      return 'Only an approver or the person who asked for the plan can cancel it';
  }
}

/** Caller-only checks for an approval (no state needed beyond the immutable plan). Pure. */
export function checkApprover(
  policy: ApprovalPolicy,
  record: PlanRecord,
  user: string,
): Exclude<RefusalCode, 'NOT_FOUND'> | null {
  if (!policy.approvers.includes(user)) return 'NOT_APPROVER';
  if (!policy.allowSelfApproval && record.plan.requestedBy === user) return 'SELF_APPROVAL';
  return null;
}

/** Maps a plan that is no longer `proposed` to the refusal a person should see. Pure. */
export function refusalForState(record: PlanRecord): RefusalCode {
  switch (record.status) {
    case 'approved':
    case 'queued':
    case 'running':
      return 'ALREADY_APPROVED';
    case 'rejected':
      return 'REJECTED';
    case 'cancelled':
      return 'CANCELLED';
    case 'expired':
      return 'EXPIRED';
    default:
      return record.status === 'proposed' ? 'ALREADY_APPROVED_BY_YOU' : 'FINISHED';
  }
}

export interface ApprovalServiceDeps {
  store: PlanStore;
  queue: PlanQueuePort;
  policy: ApprovalPolicy;
  audit?: AuditLog;
  bus?: Pick<EventBus, 'publishPlan'>;
  clock?: Clock;
  /** Seals each approval (APPROVAL_SECRET); without it approvals carry no seal and no worker runs them. */
  sealer?: ApprovalSealer;
  /** Approvers with user groups resolved (default: the ids of policy.approvers). */
  approverSet?: ApproverSet;
  /** Told when something fails after the decision (queue down, audit down); the decision stands. */
  onError?: (err: unknown, context: string) => void;
}

export interface ApprovalService {
  approve(planId: string, user: string): Promise<ApprovalOutcome>;
  reject(planId: string, user: string): Promise<DecisionOutcome>;
  cancel(planId: string, user: string): Promise<DecisionOutcome>;
  /** Expires every proposed plan past its expiry (publishes and audits each); returns their ids. */
  expireDue(): Promise<string[]>;
}

/** The deps of one approval service, with their defaults filled in. */
interface Ctx {
  deps: ApprovalServiceDeps;
  store: PlanStore;
  policy: ApprovalPolicy;
  clock: Clock;
  onError: (err: unknown, context: string) => void;
}

export function createApprovalService(deps: ApprovalServiceDeps): ApprovalService {
  const ctx: Ctx = {
    deps,
    store: deps.store,
    policy: deps.policy,
    clock: deps.clock ?? systemClock,
    onError: deps.onError ?? (() => {}),
  };
  return {
    approve: (planId, user) => approvePlan(ctx, planId, user),
    reject: (planId, user) => rejectPlan(ctx, planId, user),
    cancel: (planId, user) => cancelPlan(ctx, planId, user),
    async expireDue() {
      const ids = await ctx.store.expireDue(ctx.clock.now());
      for (const id of ids) await onExpired(ctx, await ctx.store.get(id), id);
      return ids;
    },
  };
}

function isApprover(ctx: Ctx, user: string): Promise<boolean> {
  const { approverSet } = ctx.deps;
  return approverSet ? approverSet.has(user) : Promise.resolve(ctx.policy.approvers.includes(user));
}

async function audit(ctx: Ctx, entry: Parameters<AuditLog['record']>[0]): Promise<void> {
  if (!ctx.deps.audit) return;
  await ctx.deps.audit.record(entry).catch((err) => ctx.onError(err, 'audit'));
}

async function publish(ctx: Ctx, e: Omit<PlanEvent, 'at'>): Promise<void> {
  if (!ctx.deps.bus) return;
  await ctx.deps.bus.publishPlan({ ...e, at: ctx.clock.now() }).catch((err) => ctx.onError(err, 'event bus'));
}

async function refuse(
  ctx: Ctx,
  code: RefusalCode,
  record: PlanRecord | null,
  user: string,
  planId: string,
  verb: 'approve' | 'reject' | 'cancel',
): Promise<Refusal> {
  const reason = refusalReason(code, { record, policy: ctx.policy, verb });
  await audit(ctx, {
    who: user,
    what: 'refusal',
    cluster: record?.plan.cluster,
    plan: planId,
    outcome: code,
    detail: `${verb}: ${reason}`,
  });
  if (record)
    await publish(ctx, {
      plan: planId,
      cluster: record.plan.cluster,
      kind: 'refused',
      by: user,
      detail: `${verb} refused: ${reason}`,
    });
  return { ok: false, code, reason, record };
}

async function onExpired(ctx: Ctx, record: PlanRecord | null, planId: string, by = 'redis-medic') {
  if (!record) return;
  await audit(ctx, {
    who: by,
    what: 'expired',
    cluster: record.plan.cluster,
    plan: planId,
    outcome: 'expired',
  });
  await publish(ctx, {
    plan: planId,
    cluster: record.plan.cluster,
    kind: 'expired',
    detail: `expired at ${utcTime(record.plan.expiresAt)}`,
  });
}

async function approvePlan(ctx: Ctx, planId: string, user: string): Promise<ApprovalOutcome> {
  const { store, policy, clock } = ctx;
  const before = await store.get(planId);
  if (!before) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'approve');
  const callerRefusal = !(await isApprover(ctx, user))
    ? 'NOT_APPROVER'
    : !policy.allowSelfApproval && before.plan.requestedBy === user
      ? 'SELF_APPROVAL'
      : null;
  if (callerRefusal) return refuse(ctx, callerRefusal, before, user, planId, 'approve');

  const at = clock.now();
  const claim = { planId, planHash: planHash(before.plan), user, at, cluster: before.plan.cluster };
  const t = await store.approve(planId, user, at, ctx.deps.sealer?.seal(claim));
  if (!t.ok) {
    if (t.code === 'NOT_FOUND' || !t.record) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'approve');
    if (t.code === 'EXPIRED') await onExpired(ctx, t.record, planId);
    const code: RefusalCode =
      t.code === 'EXPIRED'
        ? 'EXPIRED'
        : t.code === 'DUPLICATE_APPROVER'
          ? 'ALREADY_APPROVED_BY_YOU'
          : refusalForState(t.record);
    return refuse(ctx, code, t.record, user, planId, 'approve');
  }

  const record = t.record;
  const cluster = record.plan.cluster;
  if (record.status === 'proposed') {
    const message = `Approved by ${mention(user)} — waiting for a second approver (this plan needs two)`;
    await audit(ctx, {
      who: user,
      what: 'approval',
      cluster,
      plan: planId,
      outcome: 'needs-second-approver',
    });
    await publish(ctx, { plan: planId, cluster, kind: 'approval-recorded', by: user, detail: message });
    return { ok: true, state: 'needs-second-approver', record, message };
  }
  return queueApproved(ctx, record, user);
}

/** The plan has all its approvals: say so, and put it on the queue. */
async function queueApproved(ctx: Ctx, approved: PlanRecord, user: string): Promise<ApprovalOutcome> {
  const { store, clock } = ctx;
  let record = approved;
  const { id: planId, cluster } = record.plan;
  const by = record.approvals.map((a) => mention(a.user)).join(' and ');
  await audit(ctx, {
    who: user,
    what: 'approval',
    cluster,
    plan: planId,
    outcome: 'approved',
    detail: `by ${by}`,
  });
  await publish(ctx, { plan: planId, cluster, kind: 'approved', by: user, detail: `Approved by ${by}` });
  let message = `Approved by ${by} — queued to run`;
  try {
    await ctx.deps.queue.enqueue(record);
    const q = await store.markQueued(planId, clock.now());
    // The worker may already have started it: keep whatever is newer.
    if (q.ok) record = q.record;
    await audit(ctx, { who: user, what: 'queued', cluster, plan: planId, outcome: 'queued' });
    await publish(ctx, { plan: planId, cluster, kind: 'queued', detail: 'queued' });
  } catch (err) {
    ctx.onError(err, 'enqueue');
    message = `Approved by ${by} — the queue did not take it right now; a worker queues it by itself within seconds of the control Redis answering again`;
  }
  return { ok: true, state: 'approved', record, message };
}

async function rejectPlan(ctx: Ctx, planId: string, user: string): Promise<DecisionOutcome> {
  const { store, clock } = ctx;
  const before = await store.get(planId);
  if (!before) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'reject');
  if (!(await isApprover(ctx, user))) return refuse(ctx, 'NOT_APPROVER', before, user, planId, 'reject');
  const t = await store.reject(planId, user, clock.now());
  if (!t.ok) {
    if (!t.record) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'reject');
    if (t.code === 'EXPIRED') await onExpired(ctx, t.record, planId);
    const code = t.code === 'EXPIRED' ? 'EXPIRED' : refusalForState(t.record);
    return refuse(ctx, code, t.record, user, planId, 'reject');
  }
  const message = `Rejected by ${mention(user)} — nothing will run`;
  const cluster = t.record.plan.cluster;
  await audit(ctx, { who: user, what: 'rejection', cluster, plan: planId, outcome: 'rejected' });
  await publish(ctx, { plan: planId, cluster, kind: 'rejected', by: user, detail: message });
  return { ok: true, record: t.record, message };
}

async function cancelPlan(ctx: Ctx, planId: string, user: string): Promise<DecisionOutcome> {
  const { store, clock } = ctx;
  const before = await store.get(planId);
  if (!before) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'cancel');
  if (before.plan.requestedBy !== user && !(await isApprover(ctx, user)))
    return refuse(ctx, 'NOT_ALLOWED', before, user, planId, 'cancel');
  const t = await store.cancel(planId, user, clock.now());
  if (!t.ok && t.record?.status === 'running') {
    const r = await store.requestCancel(planId, user, clock.now());
    if (r.ok) {
      const message = `Cancel requested by ${mention(user)} — the plan stops before its next step`;
      const cluster = r.record.plan.cluster;
      await audit(ctx, { who: user, what: 'cancel', cluster, plan: planId, outcome: 'cancel-requested' });
      await publish(ctx, { plan: planId, cluster, kind: 'cancelled', by: user, detail: message });
      return { ok: true, record: r.record, message };
    }
  }
  if (!t.ok) {
    if (!t.record) return refuse(ctx, 'NOT_FOUND', null, user, planId, 'cancel');
    const code: RefusalCode =
      t.record.status === 'running'
        ? 'RUNNING'
        : t.record.status === 'expired'
          ? 'EXPIRED'
          : refusalForState(t.record);
    return refuse(ctx, code === 'ALREADY_APPROVED' ? 'RUNNING' : code, t.record, user, planId, 'cancel');
  }
  const message = `Cancelled by ${mention(user)} — nothing more will run`;
  const cluster = t.record.plan.cluster;
  await audit(ctx, { who: user, what: 'cancel', cluster, plan: planId, outcome: 'cancelled' });
  await publish(ctx, { plan: planId, cluster, kind: 'cancelled', by: user, detail: message });
  return { ok: true, record: t.record, message };
}
