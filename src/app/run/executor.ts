/**
 * Runs a plan one step at a time: re-read the topology, re-check the step's precondition, act, verify.
 * A step whose precondition no longer holds stops the plan before anything is touched; a step whose
 * effect is already there is skipped as "already done", so a plan can be run again or resumed safely.
 */
import { asCodedError, CodedError, type ErrorCode, ErrorCodes } from '../../core/errors.ts';
import type { Clock, NodeCommander, PodApi, Reporter, TopologySource } from '../../core/ports.ts';
import type { ExecEvent, ExecEventKind, Plan, Step, StepKind, Topology } from '../../core/types.ts';
import { keysAtRiskRoseBefore } from '../keys-at-risk.ts';
import { slotCheckFailure, slotsTouchedBy } from '../slot-check.ts';
import { stepHandler } from '../steps/index.ts';
import type { StepContext, StepHandler } from '../steps/types.ts';

export interface ExecutorDeps {
  source: TopologySource;
  commander: NodeCommander;
  pods?: PodApi;
  reporter: Reporter;
  clock: Clock;
  /** Deadline of every wait inside a step; default 60 s. */
  waitTimeoutMs?: number;
  /** Poll interval of those waits; default 200 ms. */
  pollMs?: number;
}

/** Executor deps of one cluster; the plan worker puts its own reporter (bus + audit) in front of this one. */
export type ClusterExecutorDeps = Omit<ExecutorDeps, 'reporter'> & { reporter?: Reporter };

/** What one step produced (the shape of PlanRecord's StepOutcomeRecord, plus kind and metrics). */
export interface StepOutcome {
  index: number;
  kind: StepKind;
  outcome: 'done' | 'skipped' | 'stale' | 'failed';
  ms: number;
  detail: string;
  metrics?: Record<string, number>;
}

export interface ExecOptions {
  /** Resume: steps before this index are not run (they finished in an earlier attempt). */
  fromStep?: number;
  /** Called after each step that finished (done or skipped): persist progress here. */
  onStepDone?: (index: number, outcome: StepOutcome) => Promise<void>;
  signal?: AbortSignal;
}

export interface ExecResult {
  plan: string;
  status: 'succeeded' | 'stale' | 'failed' | 'cancelled';
  /** One line for a person: what happened, or what changed (stale), or what failed. */
  detail: string;
  steps: StepOutcome[];
  /** Index of the step that stopped the plan (stale / failed). */
  stoppedAt?: number;
  error?: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  ms: number;
}

/** What every step of one run shares. */
interface Run {
  plan: Plan;
  deps: ExecutorDeps;
  opts: ExecOptions;
  /** The first step this run executes (later than 0 when resuming). */
  first: number;
  started: number;
  outcomes: StepOutcome[];
  /** Slots the plan's steps touch: checked once at the end, before any success is reported. */
  touched: Set<number>;
}

/** One step while it runs: its clock start and the figures its handler adds. */
interface StepRun {
  index: number;
  step: Step;
  t0: number;
  metrics: Record<string, number>;
}

async function emit(run: Run, e: Omit<ExecEvent, 'plan' | 'cluster' | 'at'>): Promise<void> {
  try {
    await run.deps.reporter.emit({
      plan: run.plan.id,
      cluster: run.plan.cluster,
      at: run.deps.clock.now(),
      ...e,
    });
  } catch {
    // A reporter that fails (chat down) must not stop a repair half-way.
  }
}

async function finish(
  run: Run,
  status: ExecResult['status'],
  detail: string,
  extra: Partial<ExecResult> = {},
): Promise<ExecResult> {
  const ms = run.deps.clock.now() - run.started;
  await emit(run, { step: -1, kind: 'finished', status, ms, detail });
  return { plan: run.plan.id, status, detail, steps: run.outcomes, ms, ...extra };
}

async function record(
  run: Run,
  s: StepRun,
  outcome: StepOutcome['outcome'],
  kind: ExecEventKind,
  detail: string,
): Promise<StepOutcome> {
  const ms = run.deps.clock.now() - s.t0;
  const o: StepOutcome = {
    index: s.index,
    kind: s.step.kind,
    outcome,
    ms,
    detail,
    metrics: { ...s.metrics },
  };
  run.outcomes.push(o);
  await emit(run, { step: s.index, kind, ms, detail, metrics: { ...s.metrics } });
  return o;
}

const stoppedBefore = (index: number, reason: string) =>
  `stopped before step ${index + 1}, nothing touched: ${reason}`;

export async function executePlan(
  plan: Plan,
  deps: ExecutorDeps,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const first = Math.max(0, opts.fromStep ?? 0);
  const run: Run = { plan, deps, opts, first, started: deps.clock.now(), outcomes: [], touched: new Set() };
  for (let index = first; index < plan.steps.length; index++) {
    if (opts.signal?.aborted)
      return finish(run, 'cancelled', `cancelled before step ${index + 1}`, { stoppedAt: index });
    const stopped = await runStep(run, index);
    if (stopped) return stopped;
  }
  // Never a false success: every key of every touched slot must sit on that slot's one owner (issue 14).
  const unsettled = await slotCheckFailure(deps, [...run.touched], opts.signal);
  if (unsettled) return finish(run, 'failed', unsettled.message, { error: unsettled });
  const done = run.outcomes.filter((o) => o.outcome === 'done').length;
  const skipped = run.outcomes.filter((o) => o.outcome === 'skipped').length;
  const detail =
    done === 0 && skipped > 0
      ? `every step was already done (${skipped})`
      : `${done} step(s) done${skipped > 0 ? `, ${skipped} already done` : ''}`;
  return finish(run, 'succeeded', detail);
}

/** Scans, checks and runs step `index`; returns the plan's result when the step stops it, else undefined. */
async function runStep(run: Run, index: number): Promise<ExecResult | undefined> {
  const { plan, deps, opts } = run;
  const step = plan.steps[index]!;
  const handler = stepHandler(step.kind);
  const s: StepRun = { index, step, t0: deps.clock.now(), metrics: {} };
  if (!handler) {
    const detail = `no handler for step kind "${step.kind}"`;
    await record(run, s, 'failed', 'failed', detail);
    return finish(run, 'failed', `step ${index + 1}: ${detail}`, {
      stoppedAt: index,
      error: { code: ErrorCodes.StepFailed, message: detail },
    });
  }

  // 1. A fresh picture, and the precondition on it.
  const topology = await scanBefore(run, s);
  let check: ReturnType<typeof handler.check>;
  try {
    check = handler.check(topology, step, plan);
  } catch (err) {
    const e = asCodedError(err);
    await record(run, s, 'failed', 'failed', `could not check step ${index + 1}: ${e.message}`);
    return finish(run, 'failed', `step ${index + 1} (${step.kind}): ${e.message}`, {
      stoppedAt: index,
      error: { code: e.code, message: e.message },
    });
  }
  if (check.state !== 'stale') for (const slot of slotsTouchedBy(step, topology)) run.touched.add(slot);
  // A resumed run checks the slots of the steps an earlier attempt finished too.
  if (index === run.first)
    for (const earlier of plan.steps.slice(0, run.first))
      for (const slot of slotsTouchedBy(earlier, topology)) run.touched.add(slot);
  if (check.state === 'stale') {
    await record(run, s, 'stale', 'stale', check.reason);
    return finish(run, 'stale', stoppedBefore(index, check.reason), { stoppedAt: index });
  }
  if (check.state === 'done') {
    const o = await record(run, s, 'skipped', 'skipped', `already done: ${check.detail}`);
    await opts.onStepDone?.(index, o);
    return undefined;
  }

  // Data first: more keys at risk than the approvers saw means they did not approve this.
  const rose = await keysAtRiskRoseBefore(plan, index, topology, deps.commander);
  if (rose) {
    const reason = `${rose} since the plan was approved: it needs a new approval (/redis diagnose proposes it again with the new count)`;
    await record(run, s, 'stale', 'stale', reason);
    return finish(run, 'stale', stoppedBefore(index, reason), { stoppedAt: index });
  }

  // 2. Act, then verify.
  return actAndVerify(run, s, handler, topology);
}

/** Reads the cluster before a step; a failure is transient: the worker retries from this step. */
async function scanBefore(run: Run, s: StepRun): Promise<Topology> {
  const { clock } = run.deps;
  try {
    const s0 = clock.now();
    const topology = await run.deps.source.scan();
    s.metrics.scanMs = clock.now() - s0;
    return topology;
  } catch (err) {
    const e = asCodedError(err);
    await record(
      run,
      s,
      'failed',
      'failed',
      `could not read the cluster before step ${s.index + 1}: ${e.message}`,
    );
    // The worker reports the plan's end, not us.
    throw new CodedError(e.code, e.message, { ...(e.details ?? {}), transient: true, step: s.index });
  }
}

async function actAndVerify(
  run: Run,
  s: StepRun,
  handler: StepHandler,
  topology: Topology,
): Promise<ExecResult | undefined> {
  const { plan, deps, opts } = run;
  const { index, step, t0, metrics } = s;
  const { clock } = deps;
  await emit(run, { step: index, kind: 'started', detail: step.sentence });
  const ctx: StepContext = {
    commander: deps.commander,
    source: deps.source,
    ...(deps.pods ? { pods: deps.pods } : {}),
    clock,
    topology,
    plan,
    index,
    waitTimeoutMs: deps.waitTimeoutMs ?? 60_000,
    pollMs: deps.pollMs ?? 200,
    ...(opts.signal ? { signal: opts.signal } : {}),
    metrics,
    note: (detail) => {
      void emit(run, { step: index, kind: 'waiting', ms: clock.now() - t0, detail, metrics: { ...metrics } });
    },
  };
  try {
    const acted = await handler.act(ctx, step);
    const verified = await handler.waitUntilDone(ctx, step);
    const detail = [acted, verified].filter(Boolean).join('; ') || 'done';
    const o = await record(run, s, 'done', 'done', detail);
    await opts.onStepDone?.(index, o);
    return undefined;
  } catch (err) {
    const e = asCodedError(err);
    await record(run, s, 'failed', 'failed', e.message);
    if (e.code === ErrorCodes.Cancelled) return finish(run, 'cancelled', e.message, { stoppedAt: index });
    if (e.details?.transient === true) {
      throw new CodedError(e.code, `step ${index + 1} (${step.kind}): ${e.message}`, {
        ...(e.details ?? {}),
        transient: true,
        step: index,
      });
    }
    return finish(run, 'failed', `step ${index + 1} (${step.kind}) failed: ${e.message}`, {
      stoppedAt: index,
      error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
    });
  }
}
