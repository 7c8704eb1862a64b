/**
 * Plan records, plan-level events and the ports of the plan store, the queue, the event bus and the audit
 * trail. The app layer (approvals, chat service) only sees these interfaces; the control-Redis adapters in
 * src/adapters/store and src/adapters/queue implement them.
 */
import type { ExecEvent, Plan } from './types.ts';

export type PlanStatus =
  | 'proposed'
  | 'approved'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'stale'
  | 'rejected'
  | 'expired'
  | 'cancelled';

/** Statuses a plan never leaves. */
export const TERMINAL_STATUSES: readonly PlanStatus[] = [
  'succeeded',
  'failed',
  'stale',
  'rejected',
  'expired',
  'cancelled',
];

export function isTerminal(status: PlanStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface Approval {
  user: string;
  at: number;
  /** HMAC seal of this approval (src/app/approval-seal.ts); the worker refuses an approval without a valid one. */
  sig?: string;
}

/** What one finished step produced, as persisted after each step. */
export interface StepOutcomeRecord {
  index: number;
  /** `done`, `skipped` (already in the wanted state), `failed`, `stale`. */
  outcome: string;
  ms: number;
  detail: string;
}

/** Where the plan's message lives in chat, so any process can update it. */
export interface ChatRef {
  channel: string;
  ts: string;
  threadTs?: string;
  progressTs?: string;
  /** Lines shown above the plan (the watcher's incident summary), kept when the message is re-rendered. */
  preface?: string[];
  /** The before/after summary in the thread, once posted: it is posted once, whoever notices the end. */
  summaryTs?: string;
}

export interface PlanResult {
  status: 'succeeded' | 'failed' | 'stale' | 'cancelled';
  detail: string;
  finishedAt: number;
}

export interface PlanRecord {
  plan: Plan;
  status: PlanStatus;
  /** How many different approvers the plan needs: 2 for takeover / fix-slots, whatever plan.approvalsNeeded says. */
  approvalsNeeded: 1 | 2;
  approvals: Approval[];
  rejectedBy?: string;
  cancelledBy?: string;
  progress: { nextStep: number; outcomes: StepOutcomeRecord[] };
  result?: PlanResult;
  chatRef?: ChatRef;
  /** Set while the plan waits for another plan of the same cluster to finish. */
  waitingBehind?: string;
  /** Someone asked to cancel the plan while it ran: the worker stops it before its next step. */
  cancelRequestedBy?: string;
  updatedAt: number;
}

/** Why a store transition did not happen. */
export type TransitionRefusal = 'NOT_FOUND' | 'EXPIRED' | 'BAD_STATE' | 'DUPLICATE_APPROVER';

export type TransitionResult =
  | { ok: true; record: PlanRecord }
  | { ok: false; code: TransitionRefusal; record: PlanRecord | null };

export interface ListPlansQuery {
  cluster?: string;
  status?: PlanStatus | PlanStatus[];
  /** Most recent first; default 20. */
  limit?: number;
}

/** Plan records in the control Redis. Every transition is atomic. */
export interface PlanStore {
  create(plan: Plan, opts?: { chatRef?: ChatRef; now?: number }): Promise<PlanRecord>;
  get(id: string): Promise<PlanRecord | null>;
  list(query?: ListPlansQuery): Promise<PlanRecord[]>;
  /** Adds one approval; the plan becomes `approved` when it has enough. Expiry is checked against `now`. */
  approve(id: string, user: string, now: number, sig?: string): Promise<TransitionResult>;
  reject(id: string, user: string, now: number): Promise<TransitionResult>;
  /** proposed / approved / queued → cancelled. A running plan is refused (BAD_STATE): use requestCancel. */
  cancel(id: string, user: string, now: number): Promise<TransitionResult>;
  /** A running plan: asks its worker to stop before the next step (the plan ends `cancelled`). */
  requestCancel(id: string, user: string, now: number): Promise<TransitionResult>;
  /** Expires every proposed plan past its expiry; returns the ids. */
  expireDue(now: number): Promise<string[]>;
  markQueued(id: string, now: number): Promise<TransitionResult>;
  markRunning(id: string, now: number): Promise<TransitionResult>;
  recordStep(id: string, outcome: StepOutcomeRecord, now: number): Promise<PlanRecord | null>;
  setWaiting(id: string, behind: string | null, now: number): Promise<void>;
  /** running (or queued / approved) → succeeded | failed | stale | cancelled; frees the cluster. */
  finish(id: string, result: PlanResult): Promise<TransitionResult>;
  setChatRef(id: string, ref: ChatRef): Promise<void>;
}

/** The one plan that may act on a cluster (a lease whose owner is the plan id), and the plans waiting for it. */
export interface ClusterLocks {
  /**
   * Makes `planId` the one plan that may act on `cluster`. Succeeds when the lock is free, already held by
   * this plan (a worker resuming it), or held by a plan that has finished. Otherwise returns the holder.
   */
  acquireClusterLock(
    cluster: string,
    planId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** Extends the lock while the plan runs; false when this plan no longer holds it. */
  renewClusterLock(cluster: string, planId: string, ttlMs: number): Promise<boolean>;
  releaseClusterLock(cluster: string, planId: string): Promise<boolean>;
  clusterLockHolder(cluster: string): Promise<string | null>;
  /** Plans waiting for the cluster lock (their jobs are delayed). */
  addWaiter(cluster: string, planId: string, now: number): Promise<void>;
  removeWaiter(cluster: string, planId: string): Promise<void>;
  waiters(cluster: string): Promise<string[]>;
}

/** Puts an approved plan on the queue (one job per plan id). */
export interface PlanQueuePort {
  enqueue(record: PlanRecord): Promise<void>;
}

export type PlanEventKind =
  | 'proposed'
  | 'approval-recorded'
  | 'approved'
  | 'refused'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'queued'
  | 'waiting'
  | 'running';

/** A plan-level event (approvals, queueing); step events are `ExecEvent`s. */
export interface PlanEvent {
  plan: string;
  cluster: string;
  kind: PlanEventKind;
  /** Who caused it (a chat user id), when a person did. */
  by?: string;
  detail: string;
  at: number;
  /** On `waiting`: the plan it waits behind. */
  behind?: string;
}

/** Exec and plan events over a channel any process can subscribe to. */
export interface EventBus {
  publish(event: ExecEvent): Promise<void>;
  subscribe(handler: (event: ExecEvent) => void): Promise<() => Promise<void>>;
  publishPlan(event: PlanEvent): Promise<void>;
  subscribePlan(handler: (event: PlanEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type AuditAction =
  | 'command'
  | 'proposed'
  | 'approval'
  | 'refusal'
  | 'rejection'
  | 'cancel'
  | 'expired'
  | 'queued'
  | 'step'
  | 'result';

export interface AuditEntry {
  /** Stream id (`<ms>-<seq>`); filled when read. */
  id?: string;
  who: string;
  what: AuditAction | string;
  at: number;
  cluster?: string;
  plan?: string;
  outcome?: string;
  detail?: string;
}

/** Append-only trail in the control Redis, capped by age. */
export interface AuditLog {
  record(entry: Omit<AuditEntry, 'id' | 'at'> & { at?: number }): Promise<string>;
  last(n: number): Promise<AuditEntry[]>;
  forPlan(planId: string, limit?: number): Promise<AuditEntry[]>;
}
