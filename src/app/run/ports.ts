/** What running a plan needs from the outside: the store with its cluster lock, the job, and the queue's waiters. */
import type { AuditLog, ClusterLocks, EventBus, PlanRecord, PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import type { RunVerdict } from '../run-check.ts';
import type { ClusterExecutorDeps } from './executor.ts';

/** The plan store as a run uses it: records, plus one lock per cluster, the plans waiting for it, cancel requests. */
export interface RunStore
  extends Pick<PlanStore, 'get' | 'markRunning' | 'recordStep' | 'setWaiting' | 'finish'>,
    ClusterLocks {
  /** Who asked to cancel this running plan, if anyone. */
  cancelRequestedBy(planId: string): Promise<string | null>;
}

/** One queued run of a plan, as the queue hands it over. */
export interface PlanJob {
  planId: string;
  /** Attempts that failed before this one. */
  readonly attemptsMade: number;
  /** How often the job was taken back from a dead worker. */
  readonly stalledCounter: number;
  /** Attempts the queue allows in all. */
  readonly attempts: number;
  /** Aborted when this worker must let the job go. */
  signal?: AbortSignal;
  /** True once another worker has taken the job over. */
  lost(): boolean;
  /** Records how far the plan got (for whoever looks at the queue). */
  progress(nextStep: number): Promise<void>;
}

/** Wakes the job of a plan that waits for its cluster (it re-checks the lock at once). */
export interface WaiterWaker {
  wake(planId: string): Promise<void>;
}

export interface RunDeps {
  store: RunStore;
  waiters: WaiterWaker;
  bus?: Pick<EventBus, 'publish' | 'publishPlan'>;
  audit?: Pick<AuditLog, 'record'>;
  executorDepsFor(cluster: string): ClusterExecutorDeps | Promise<ClusterExecutorDeps>;
  /** Every approval rule again, before a plan starts; a refusal ends the plan unrun. */
  checkBeforeRun(record: PlanRecord): Promise<RunVerdict>;
  clock: Clock;
  log?: Logger;
  /** The cluster lock outlives a dead worker this long, so no other plan slips in before the job resumes. */
  lockTtlMs: number;
  /** A plan waiting behind another re-checks this often (it is also woken when the other finishes). */
  waitPollMs: number;
  /** How often a running plan checks whether someone cancelled it. */
  cancelPollMs: number;
  /** Called after a step's outcome is persisted (tests hold a worker here to kill it). */
  afterStepPersisted?: (planId: string, index: number) => Promise<void>;
}

/** What the queue does with a job once its run is over. */
export type RunOutcome =
  /** Done (or nothing to do): the job completes with this value. */
  | { kind: 'result'; value: { status: string; skipped?: true } }
  /** The cluster is busy: try again after `delayMs` (or when woken). */
  | { kind: 'wait'; delayMs: number }
  /** A retry cannot help: the job fails for good. */
  | { kind: 'give-up'; message: string }
  /** A retry may help: the job fails with `error` and the queue tries again after its backoff. */
  | { kind: 'retry'; error: unknown }
  /** Another worker continues the job: this one lets it go. */
  | { kind: 'lost'; message: string };
