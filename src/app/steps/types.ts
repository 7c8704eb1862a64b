/**
 * The contract of a step handler: one per step kind (src/app/steps/<kind>.ts), registered in index.ts.
 * `check` is pure (it reads the fresh topology); `act` sends the commands; `waitUntilDone` verifies.
 */
import type { Clock, NodeCommander, PodApi, TopologySource } from '../../core/ports.ts';
import type { Plan, Step, StepKind, Topology } from '../../core/types.ts';

export type CheckResult =
  | { state: 'ready' }
  | { state: 'done'; detail: string }
  | { state: 'stale'; reason: string };

/** What a handler gets while it runs one step. */
export interface StepContext {
  commander: NodeCommander;
  source: TopologySource;
  pods?: PodApi;
  clock: Clock;
  /** The topology read just before this step (its precondition held on it). */
  topology: Topology;
  plan: Plan;
  index: number;
  /** Deadline of each wait, ms. */
  waitTimeoutMs: number;
  /** Poll interval of each wait, ms. */
  pollMs: number;
  signal?: AbortSignal;
  /** Figures for the step's `done` event: add to them (e.g. redisWaitMs, forgetSpreadMs). */
  metrics: Record<string, number>;
  /** Report that the step is waiting (emits a `waiting` event). */
  note(detail: string): void;
}

export interface StepHandler<S extends Step = Step> {
  /** Precondition / idempotency on a fresh topology. `plan` lets a check look at the steps around it. */
  check(topology: Topology, step: S, plan?: Plan): CheckResult;
  /** Sends the commands; returns a short detail for the report. */
  act(ctx: StepContext, step: S): Promise<string | undefined>;
  /** Waits (with a deadline) until the effect is visible; returns a short detail. */
  waitUntilDone(ctx: StepContext, step: S): Promise<string | undefined>;
}

export type StepHandlerFor<K extends StepKind> = StepHandler<Extract<Step, { kind: K }>>;
