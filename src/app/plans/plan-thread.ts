import { asCodedError } from '../../core/errors.ts';
import { isTerminal, type PlanEvent, type PlanRecord, type PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { ExecEvent } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { ChatMessage, ChatPort } from '../chat-port.ts';
import type { ClusterRegistry } from '../clusters.ts';
import {
  applyExecEvent,
  initialProgress,
  type LiveStep,
  type ProgressState,
  renderPlan,
  renderProgress,
} from '../messages/index.ts';
import type { Scan } from '../scan.ts';
import { summarise } from './plan-summary.ts';

/** What the plan-message tracker needs. */
export interface ThreadDeps {
  chat: ChatPort;
  store: PlanStore;
  clusters: Pick<ClusterRegistry, 'resolve'>;
  settings: { settleMs?: number; pickupWarnMs?: number; reconcileMs?: number };
  log: Logger;
  clock: Clock;
  scan: Scan;
  /** The plan message with its cluster links and operator line. */
  planLinked: (rec: PlanRecord, msg: ChatMessage) => ChatMessage;
  /** Does this process render this plan (a lease among bot processes)? Default: always. */
  claimPlan?: (planId: string) => Promise<boolean>;
}

/** What this process knows of one plan it renders, between two updates of its message. */
interface PlanTrack {
  chain: Promise<void>;
  scheduled: boolean;
  progress?: ProgressState;
  progressDirty: boolean;
  live?: LiveStep;
  summaryDue: boolean;
}

/** The live plan messages of this process: their tracks, the plans not ended yet, the reconcile loop. */
export interface PlanThreads {
  deps: ThreadDeps;
  tracks: Map<string, PlanTrack>;
  /**
   * Plans this process renders that have not ended, with what the store said of them last time. Events say
   * what happens as it happens; reconcile re-reads the store every few seconds so a lost event (pub/sub drops
   * them while the control Redis restarts) never leaves a plan showing "running" after it ended.
   */
  open: Map<string, string>;
  /** Approved plans whose thread already says no worker took them. */
  unpicked: Set<string>;
  stopped: boolean;
  rounds: number;
  stopReconciler: () => void;
  unsubscribers: (() => Promise<void>)[];
}

export function createPlanThreads(deps: ThreadDeps): PlanThreads {
  return {
    deps,
    tracks: new Map(),
    open: new Map(),
    unpicked: new Set(),
    stopped: false,
    rounds: 0,
    stopReconciler: () => {},
    unsubscribers: [],
  };
}

export function track(pt: PlanThreads, planId: string): PlanTrack {
  let t = pt.tracks.get(planId);
  if (!t) {
    t = { chain: Promise.resolve(), scheduled: false, progressDirty: false, summaryDue: false };
    pt.tracks.set(planId, t);
  }
  return t;
}

/** Coalesces updates: at most one flush queued per plan, rendering the newest state when it runs. */
export function schedulePlanUpdate(pt: PlanThreads, planId: string): void {
  const t = track(pt, planId);
  if (t.scheduled) return;
  t.scheduled = true;
  t.chain = t.chain.then(async () => {
    t.scheduled = false;
    try {
      await flush(pt, planId, t);
    } catch (err) {
      pt.deps.log.warn({ err: asCodedError(err).message, plan: planId }, 'could not update the plan in chat');
    }
  });
}

/** Resolves when every pending plan-message / thread update has been sent. */
export async function idle(pt: PlanThreads): Promise<void> {
  // Chains may grow while we wait: loop until a pass finds nothing new.
  for (let i = 0; i < 50; i++) {
    await Promise.all([...pt.tracks.values()].map((t) => t.chain));
    if ([...pt.tracks.values()].every((t) => !t.scheduled)) return;
  }
}

/** The plan message, then its progress message, then (once it ended) its summary, from the newest state. */
async function flush(pt: PlanThreads, planId: string, t: PlanTrack): Promise<void> {
  const { chat, store, clock, planLinked } = pt.deps;
  const rec = await store.get(planId);
  if (!rec?.chatRef) return;
  const ref = rec.chatRef;
  const live = rec.status === 'running' ? t.live : undefined;
  await chat.update(
    ref.channel,
    ref.ts,
    planLinked(rec, renderPlan(rec, { now: clock.now(), ...(live ? { live } : {}) })),
  );
  if (t.progress && t.progressDirty) {
    t.progressDirty = false;
    const msg = renderProgress(rec.plan, t.progress);
    if (ref.progressTs) await chat.update(ref.channel, ref.progressTs, msg);
    else {
      const { ts } = await chat.post(ref.channel, msg, { threadTs: ref.threadTs ?? ref.ts });
      await store.setChatRef(planId, { ...ref, progressTs: ts });
    }
  }
  if (t.summaryDue && isTerminal(rec.status)) {
    t.summaryDue = false;
    // The latest ref (the progress message may have just been posted) and whether a summary is already there.
    const now = (await store.get(planId))?.chatRef ?? ref;
    if (!now.summaryTs) {
      const summary = await summarise(pt.deps, rec, () => pt.stopped, t.progress);
      const { ts } = await chat.post(ref.channel, summary, { threadTs: ref.threadTs ?? ref.ts });
      await store.setChatRef(planId, { ...now, summaryTs: ts });
    }
    pt.tracks.delete(planId);
  } else if (isTerminal(rec.status) && !t.summaryDue && !t.progress) {
    pt.tracks.delete(planId);
  }
}

/** The thread's progress as the store records it (after lost events, or in a process that saw none). */
export function progressFromRecord(rec: PlanRecord): ProgressState {
  let p = initialProgress(rec.plan);
  for (const o of rec.progress.outcomes)
    p = applyExecEvent(p, {
      step: o.index,
      kind: o.outcome,
      detail: o.detail,
      ms: o.ms,
      at: rec.updatedAt,
    });
  if (rec.result)
    p = applyExecEvent(p, {
      step: -1,
      kind: 'finished',
      status: rec.result.status,
      detail: rec.result.detail,
      at: rec.result.finishedAt,
    });
  return p;
}

/** Keeps re-reading this plan from the store until it ended (see `open`). */
export function watchPlan(pt: PlanThreads, planId: string): void {
  if (!pt.stopped && !pt.open.has(planId)) pt.open.set(planId, '');
}

/** Does this process render this plan's progress? Fails open: a lost update is worse than a double one. */
export async function ownsPlan(pt: PlanThreads, planId: string): Promise<boolean> {
  if (!pt.deps.claimPlan) return true;
  return pt.deps.claimPlan(planId).catch(() => true);
}

/** A step started, ended or the plan finished (exec events of the bus). */
export function onExecEvent(pt: PlanThreads, e: ExecEvent): void {
  if (pt.stopped || !e || typeof e.plan !== 'string') return;
  const t = track(pt, e.plan);
  void (async () => {
    if (!(await ownsPlan(pt, e.plan))) {
      pt.tracks.delete(e.plan);
      return;
    }
    if (!t.progress) {
      const rec = await pt.deps.store.get(e.plan).catch(() => null);
      if (!rec?.chatRef) {
        pt.tracks.delete(e.plan);
        return;
      }
      if (!t.progress) t.progress = progressFromRecord(rec);
      if (!isTerminal(rec.status)) watchPlan(pt, e.plan);
    }
    t.progress = applyExecEvent(t.progress, e);
    t.progressDirty = true;
    if (e.step >= 0) {
      const state: LiveStep['state'] = e.kind === 'started' ? 'running' : (e.kind as LiveStep['state']);
      t.live = { index: e.step, state, detail: e.detail };
    }
    if (e.kind === 'finished') t.summaryDue = true;
    schedulePlanUpdate(pt, e.plan);
  })().catch((err) => pt.deps.log.warn({ err: asCodedError(err).message }, 'exec event not applied'));
}

/** A plan changed state (plan events of the bus): its message is rendered again. */
export function onPlanEvent(pt: PlanThreads, e: PlanEvent): void {
  if (pt.stopped || !e || typeof e.plan !== 'string') return;
  if (e.kind === 'refused' || e.kind === 'proposed') return;
  void ownsPlan(pt, e.plan).then((mine) => {
    if (!mine || pt.stopped) return;
    if (['approved', 'queued', 'running', 'waiting'].includes(e.kind)) watchPlan(pt, e.plan);
    schedulePlanUpdate(pt, e.plan);
  });
}
