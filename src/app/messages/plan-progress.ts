/** The one progress message in a plan's thread, folded from exec events. */
import type { Plan } from '../../core/types.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import { clip, context, duration, esc, fitMessage, packLines, section } from './kit.ts';
import { type LiveStep, STEP_EMOJI } from './plan-status.ts';

/** State of the thread's progress message, built from exec events. */
export interface ProgressState {
  plan: string;
  steps: { state: 'pending' | LiveStep['state']; detail?: string; ms?: number }[];
  waiting?: string;
  startedAt?: number;
  finishedAt?: number;
  status?: 'succeeded' | 'failed' | 'stale' | 'cancelled';
  metrics: Record<string, number>;
}

export function initialProgress(plan: Plan): ProgressState {
  return { plan: plan.id, steps: plan.steps.map(() => ({ state: 'pending' as const })), metrics: {} };
}

/** Folds one exec event into the progress state (pure). */
export function applyExecEvent(
  s: ProgressState,
  e: {
    step: number;
    kind: string;
    detail: string;
    ms?: number;
    at: number;
    status?: ProgressState['status'];
    metrics?: Record<string, number>;
  },
): ProgressState {
  const next: ProgressState = { ...s, steps: s.steps.map((x) => ({ ...x })), metrics: { ...s.metrics } };
  if (e.metrics) for (const [k, v] of Object.entries(e.metrics)) next.metrics[k] = (next.metrics[k] ?? 0) + v;
  if (e.step < 0) {
    if (e.kind === 'started') next.startedAt ??= e.at;
    if (e.kind === 'waiting') next.waiting = e.detail;
    if (e.kind === 'finished') {
      next.finishedAt = e.at;
      if (e.status) next.status = e.status;
      next.waiting = undefined;
    }
    if (e.kind === 'stale' || e.kind === 'failed') next.status ??= e.kind;
    return next;
  }
  next.startedAt ??= e.at;
  next.waiting = undefined;
  const step = next.steps[e.step];
  if (!step) return next;
  const map: Record<string, LiveStep['state'] | undefined> = {
    started: 'running',
    done: 'done',
    skipped: 'skipped',
    failed: 'failed',
    stale: 'stale',
    waiting: 'waiting',
  };
  const state = map[e.kind];
  if (state) step.state = state;
  if (e.detail) step.detail = e.detail;
  if (e.ms !== undefined) step.ms = e.ms;
  return next;
}

/** The one progress message in the plan's thread, updated in place. */
export function renderProgress(plan: Plan, s: ProgressState): ChatMessage {
  const n = plan.steps.length;
  const lines = plan.steps.map((step, i) => {
    const st = s.steps[i] ?? { state: 'pending' as const };
    const ms = st.ms !== undefined ? ` _(${duration(st.ms)})_` : '';
    const detail = st.detail && st.state !== 'pending' ? `\n      ${esc(clip(st.detail, 400))}` : '';
    return `${STEP_EMOJI[st.state] ?? ''} *${i + 1}/${n}* ${esc(step.sentence)}${ms}${detail}`;
  });
  const doneCount = s.steps.filter((x) => x.state === 'done' || x.state === 'skipped').length;
  // The cluster in the first line: the notification is read without the plan above it (issue 19).
  const head = s.status
    ? `${plan.cluster}: plan ${plan.id}: ${s.status}`
    : s.waiting
      ? `${plan.cluster}: plan ${plan.id}: waiting`
      : `${plan.cluster}: plan ${plan.id}: ${doneCount}/${n} steps done`;
  const blocks: Block[] = [
    section(`*${esc(head)}*${s.waiting ? `\n:hourglass_flowing_sand: ${esc(s.waiting)}` : ''}`),
  ];
  blocks.push(...packLines(lines, 40, (k) => `_…${k} more steps left out._`).blocks);
  const elapsed = s.startedAt !== undefined ? (s.finishedAt ?? s.startedAt) - s.startedAt : undefined;
  if (elapsed !== undefined && s.finishedAt !== undefined) blocks.push(context(`Total ${duration(elapsed)}`));
  return fitMessage(`${head} — ${plan.title}`, blocks);
}
