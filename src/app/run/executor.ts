/**
 * Runs a plan one step at a time: re-read the topology, re-check the step's precondition, act, verify.
 * A step whose precondition no longer holds stops the plan before anything is touched; a step whose
 * effect is already there is skipped as "already done", so a plan can be run again or resumed safely.
 */
import { asCodedError, CodedError, ErrorCodes } from '../core/errors.ts';
import type { Clock, NodeCommander, PodApi, Reporter, TopologySource } from '../core/ports.ts';
import type { ExecEvent, ExecEventKind, Plan, StepKind, Topology } from '../core/types.ts';
import { keysAtRiskRoseBefore } from './keys-at-risk.ts';
import { slotCheckFailure, slotsTouchedBy } from './slot-check.ts';
import { stepHandler } from './steps/index.ts';
import type { StepContext } from './steps/types.ts';

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
  error?: { code: string; message: string; details?: Record<string, unknown> };
  ms: number;
}

export async function executePlan(
  plan: Plan,
  deps: ExecutorDeps,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const { clock, reporter } = deps;
  const started = clock.now();
  const outcomes: StepOutcome[] = [];
  const emit = async (e: Omit<ExecEvent, 'plan' | 'cluster' | 'at'>) => {
    try {
      await reporter.emit({ plan: plan.id, cluster: plan.cluster, at: clock.now(), ...e });
    } catch {
      // A reporter that fails (chat down) must not stop a repair half-way.
    }
  };
  const finish = async (
    status: ExecResult['status'],
    detail: string,
    extra: Partial<ExecResult> = {},
  ): Promise<ExecResult> => {
    const ms = clock.now() - started;
    await emit({ step: -1, kind: 'finished', status, ms, detail });
    return { plan: plan.id, status, detail, steps: outcomes, ms, ...extra };
  };

  const first = Math.max(0, opts.fromStep ?? 0);
  /** Slots the plan's steps touch: checked once at the end, before any success is reported. */
  const touched = new Set<number>();
  for (let index = first; index < plan.steps.length; index++) {
    const step = plan.steps[index]!;
    if (opts.signal?.aborted)
      return finish('cancelled', `cancelled before step ${index + 1}`, { stoppedAt: index });
    const handler = stepHandler(step.kind);
    const t0 = clock.now();
    const metrics: Record<string, number> = {};
    const record = async (outcome: StepOutcome['outcome'], kind: ExecEventKind, detail: string) => {
      const ms = clock.now() - t0;
      const o: StepOutcome = { index, kind: step.kind, outcome, ms, detail, metrics: { ...metrics } };
      outcomes.push(o);
      await emit({ step: index, kind, ms, detail, metrics: { ...metrics } });
      return o;
    };
    if (!handler) {
      const detail = `no handler for step kind "${step.kind}"`;
      await record('failed', 'failed', detail);
      return finish('failed', `step ${index + 1}: ${detail}`, {
        stoppedAt: index,
        error: { code: ErrorCodes.StepFailed, message: detail },
      });
    }

    // 1. A fresh picture, and the precondition on it.
    let topology: Topology;
    try {
      const s0 = clock.now();
      topology = await deps.source.scan();
      metrics.scanMs = clock.now() - s0;
    } catch (err) {
      const e = asCodedError(err);
      await record('failed', 'failed', `could not read the cluster before step ${index + 1}: ${e.message}`);
      // Transient: the worker retries (fromStep = this step); it reports the plan's end, not us.
      throw new CodedError(e.code, e.message, { ...(e.details ?? {}), transient: true, step: index });
    }
    let check: ReturnType<typeof handler.check>;
    try {
      check = handler.check(topology, step, plan);
    } catch (err) {
      const e = asCodedError(err);
      await record('failed', 'failed', `could not check step ${index + 1}: ${e.message}`);
      return finish('failed', `step ${index + 1} (${step.kind}): ${e.message}`, {
        stoppedAt: index,
        error: { code: e.code, message: e.message },
      });
    }
    if (check.state !== 'stale') for (const s of slotsTouchedBy(step, topology)) touched.add(s);
    // A resumed run checks the slots of the steps an earlier attempt finished too.
    if (index === first)
      for (const earlier of plan.steps.slice(0, first))
        for (const s of slotsTouchedBy(earlier, topology)) touched.add(s);
    if (check.state === 'stale') {
      await record('stale', 'stale', check.reason);
      return finish('stale', `stopped before step ${index + 1}, nothing touched: ${check.reason}`, {
        stoppedAt: index,
      });
    }
    if (check.state === 'done') {
      const o = await record('skipped', 'skipped', `already done: ${check.detail}`);
      await opts.onStepDone?.(index, o);
      continue;
    }

    // Data first: more keys at risk than the approvers saw means they did not approve this.
    const rose = await keysAtRiskRoseBefore(plan, index, topology, deps.commander);
    if (rose) {
      const reason = `${rose} since the plan was approved: it needs a new approval (/redis diagnose proposes it again with the new count)`;
      await record('stale', 'stale', reason);
      return finish('stale', `stopped before step ${index + 1}, nothing touched: ${reason}`, {
        stoppedAt: index,
      });
    }

    // 2. Act, then verify.
    await emit({ step: index, kind: 'started', detail: step.sentence });
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
        void emit({ step: index, kind: 'waiting', ms: clock.now() - t0, detail, metrics: { ...metrics } });
      },
    };
    try {
      const acted = await handler.act(ctx, step);
      const verified = await handler.waitUntilDone(ctx, step);
      const detail = [acted, verified].filter(Boolean).join('; ') || 'done';
      const o = await record('done', 'done', detail);
      await opts.onStepDone?.(index, o);
    } catch (err) {
      const e = asCodedError(err);
      const transient = e.details?.transient === true;
      await record('failed', 'failed', e.message);
      if (e.code === 'CANCELLED') return finish('cancelled', e.message, { stoppedAt: index });
      if (transient) {
        throw new CodedError(e.code, `step ${index + 1} (${step.kind}): ${e.message}`, {
          ...(e.details ?? {}),
          transient: true,
          step: index,
        });
      }
      return finish('failed', `step ${index + 1} (${step.kind}) failed: ${e.message}`, {
        stoppedAt: index,
        error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
      });
    }
  }
  // Never a false success: every key of every touched slot must sit on that slot's one owner (issue 14).
  const unsettled = await slotCheckFailure(deps, [...touched], opts.signal);
  if (unsettled) return finish('failed', unsettled.message, { error: unsettled });
  const done = outcomes.filter((o) => o.outcome === 'done').length;
  const skipped = outcomes.filter((o) => o.outcome === 'skipped').length;
  const detail =
    done === 0 && skipped > 0
      ? `every step was already done (${skipped})`
      : `${done} step(s) done${skipped > 0 ? `, ${skipped} already done` : ''}`;
  return finish('succeeded', detail);
}
