import type { PlanRecord } from '../../core/plan-record.ts';
import { expectedDurationLine } from '../../core/plans/heal-time.ts';
import { formatKeysAtRisk } from '../../core/risk/format.ts';
import type { Finding, Plan, Step } from '../../core/types.ts';
import { ActionIds, type Block, type ChatMessage } from '../chat-port.ts';
import { commandLines, hasCollapsedCommands } from './commands.ts';
import {
  actions,
  button,
  clip,
  clock,
  codeBlock,
  confirmDialog,
  context,
  divider,
  duration,
  esc,
  fields,
  fitMessage,
  header,
  mention,
  packLines,
  riskLabel,
  riskWords,
  section,
} from './kit.ts';
import { findingLines } from './status.ts';

/** What the chat knows live about a running plan, ahead of the persisted record. */
export interface LiveStep {
  index: number;
  state: 'running' | 'done' | 'skipped' | 'failed' | 'stale' | 'waiting';
  detail?: string;
  ms?: number;
}

const STEP_EMOJI: Record<string, string> = {
  pending: ':white_small_square:',
  running: ':arrows_counterclockwise:',
  waiting: ':hourglass_flowing_sand:',
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
  failed: ':x:',
  stale: ':warning:',
};

const approvers = (r: PlanRecord) => r.approvals.map((a) => mention(a.user)).join(', ');

/** One line saying where the plan stands (the first thing a person reads on the updated message). */
export function planStatusLine(r: PlanRecord, now: number, live?: LiveStep): string {
  const n = r.plan.steps.length;
  const by = approvers(r);
  switch (r.status) {
    case 'proposed': {
      if (now >= r.plan.expiresAt)
        return `:alarm_clock: *Expired* at ${clock(r.plan.expiresAt)} without approval.`;
      const need = r.approvalsNeeded;
      if (r.approvals.length === 0)
        return need === 2
          ? `:hourglass_flowing_sand: *Waiting for approval* — needs *two different approvers*. Expires ${clock(r.plan.expiresAt)}.`
          : `:hourglass_flowing_sand: *Waiting for approval*. Expires ${clock(r.plan.expiresAt)}.`;
      return `:hourglass_flowing_sand: Approved by ${by} — *waiting for a second approver* (${r.approvals.length}/${need}). Expires ${clock(r.plan.expiresAt)}.`;
    }
    case 'approved':
      return `:white_check_mark: *Approved* by ${by} — about to run.`;
    case 'queued':
      return r.waitingBehind
        ? `:inbox_tray: *Approved* by ${by} — *waiting* for plan \`${esc(r.waitingBehind)}\` on ${esc(r.plan.cluster)} to finish.`
        : `:inbox_tray: *Approved* by ${by} — queued.`;
    case 'running': {
      const i = live ? live.index : Math.min(r.progress.nextStep, n - 1);
      const step = r.plan.steps[i];
      const what = step ? `: ${esc(step.sentence)}` : '';
      return clip(`:gear: *Running step ${i + 1}/${n}*${what} (approved by ${by})`, 2000);
    }
    case 'succeeded':
      return `:white_check_mark: *Succeeded*${r.result ? ` at ${clock(r.result.finishedAt)}` : ''} — approved by ${by}.`;
    case 'failed': {
      const at = r.progress.outcomes.find((o) => o.outcome === 'failed');
      const where = at ? ` at step ${at.index + 1}/${n}` : '';
      return clip(`:x: *Failed*${where}: ${esc(r.result?.detail ?? 'see the thread')}`, 2000);
    }
    case 'stale':
      return clip(
        `:warning: *Stopped, the cluster changed* — nothing more was touched. ${esc(r.result?.detail ?? '')}`,
        2000,
      );
    case 'rejected':
      return `:no_entry: *Rejected* by ${mention(r.rejectedBy ?? '?')}.`;
    case 'expired':
      return `:alarm_clock: *Expired* at ${clock(r.plan.expiresAt)} without enough approvals.`;
    case 'cancelled':
      return `:no_entry_sign: *Cancelled* by ${mention(r.cancelledBy ?? '?')}.`;
  }
}

/** Whether the Approve / Reject buttons still make sense. */
export function acceptsVotes(r: PlanRecord, now: number): boolean {
  return r.status === 'proposed' && now < r.plan.expiresAt;
}

function stepState(r: PlanRecord, i: number, live?: LiveStep): string | undefined {
  if (live && live.index === i) return live.state;
  const o = r.progress.outcomes.find((x) => x.index === i);
  if (o) return o.outcome;
  if (r.status === 'running' && i === r.progress.nextStep && !live) return 'running';
  return undefined;
}

function stepBlockText(
  r: PlanRecord,
  step: Step,
  i: number,
  live: LiveStep | undefined,
  maxCommands: number,
): string {
  const n = r.plan.steps.length;
  const state = stepState(r, i, live);
  const mark = state ? `${STEP_EMOJI[state] ?? ''} ` : '';
  const atRisk = step.keysAtRisk ? ` · ${esc(formatKeysAtRisk(step.keysAtRisk))}` : '';
  const head = `${mark}*${i + 1}/${n}* ${esc(step.sentence)}\n${riskLabel(step.risk)} · \`${step.kind}\`${atRisk}`;
  const lines = commandLines(step);
  const cmds =
    lines.length > 0
      ? `\n${codeBlock(lines, maxCommands, (k) => `…and ${k} more command${k === 1 ? '' : 's'} (every one in the thread)`)}`
      : '';
  return `${head}${cmds}`;
}

function riskWarning(plan: Plan): string | undefined {
  const risky = plan.steps
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.risk === 'high' || s.risk === 'data-loss');
  if (risky.length === 0) return undefined;
  const lines = risky.slice(0, 5).map(({ s, i }) => {
    const why =
      s.kind === 'failover' && s.mode === 'takeover'
        ? 'CLUSTER FAILOVER TAKEOVER skips the vote: writes can be lost if the old master comes back.'
        : s.kind === 'fix-slots' && s.action === 'assign'
          ? 'the keys of these slots are lost: they are given, empty, to a live master.'
          : esc(s.sentence);
    return `• step ${i + 1}: ${why}`;
  });
  return `${riskLabel(plan.risk)} — read before approving:\n${lines.join('\n')}`;
}

/** The Approve / Reject buttons, with confirm dialogs naming the cluster and the risk. */
export function voteButtons(plan: Plan, approvalsNeeded: 1 | 2): Block {
  const risk = riskWords(plan.risk);
  const two = approvalsNeeded === 2 ? ' It needs two different approvers.' : '';
  return actions(`plan_votes_${plan.id}`, [
    button('Approve', ActionIds.approve, plan.id, {
      style: 'primary',
      confirm: confirmDialog(
        `Run on ${plan.cluster}? (${risk})`,
        `Approve plan ${plan.id} on cluster *${esc(plan.cluster)}*: ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, *${risk}*.${two} ${esc(plan.title)}`,
        'Approve',
        plan.risk === 'high' || plan.risk === 'data-loss' ? 'danger' : 'primary',
      ),
    }),
    button('Reject', ActionIds.reject, plan.id, {
      style: 'danger',
      confirm: confirmDialog(
        `Reject plan on ${plan.cluster}?`,
        `Reject plan ${plan.id} on cluster *${esc(plan.cluster)}* (${risk}). Nothing will run.`,
        'Reject',
      ),
    }),
  ]);
}

/**
 * The plan message (posted by `diagnose` / `failover` / …, then updated in place as the status changes):
 * status line, findings, every step with its exact commands and risk, and the buttons while votes are open.
 */
export function renderPlan(
  r: PlanRecord,
  opts: { now: number; live?: LiveStep; preface?: string[] },
): ChatMessage {
  const { plan } = r;
  const n = plan.steps.length;
  const preface = opts.preface ?? r.chatRef?.preface;
  const blocks: Block[] = [];
  // The watcher's incident summary (already mrkdwn) goes first: it is what the channel reads.
  if (preface?.length) blocks.push(...packLines(preface, 2, (k) => `_…${k} more lines left out._`).blocks);
  blocks.push(header(`Plan ${plan.id} · ${plan.cluster} · ${riskWords(plan.risk)}`));
  blocks.push(section(`*${esc(plan.title)}*\n${planStatusLine(r, opts.now, opts.live)}`));
  blocks.push(
    fields([
      ['Cluster', esc(plan.cluster)],
      [
        'Risk',
        // Keys at risk right by the badge, above the buttons (issue 14).
        `${riskLabel(plan.risk)}${plan.keysAtRisk ? `\n${esc(formatKeysAtRisk(plan.keysAtRisk))}` : ''}`,
      ],
      ['Requested by', `${mention(plan.requestedBy)} at ${clock(plan.createdAt)}`],
      [
        'Approvals',
        `${r.approvals.length}/${r.approvalsNeeded}${r.approvals.length ? ` (${approvers(r)})` : ''}`,
      ],
    ]),
  );
  blocks.push(context(esc(expectedDurationLine(plan))));
  const warn = riskWarning(plan);
  if (warn) blocks.push(section(warn));
  // Risk and buttons right under the summary: on a phone the steps below are one scroll away (issue 19).
  if (acceptsVotes(r, opts.now)) blocks.push(voteButtons(plan, r.approvalsNeeded));
  if (plan.findings.length > 0) {
    const lines = findingLines(
      plan.findings.map((f) => ({ ...f, nodes: [], evidence: [] }) as Finding),
      0,
    );
    blocks.push(...packLines(lines, 2, (k) => `_…${k} more findings left out._`).blocks);
  }
  blocks.push(divider());
  // Budget: preface 2, header..divider ≤ 8, buttons + context 2: at most 36 step blocks (48 of 50).
  const maxStepBlocks = 36;
  if (n <= maxStepBlocks) {
    const cmdPerStep = n > 20 ? 2 : n > 8 ? 4 : 8;
    plan.steps.forEach((s, i) => {
      blocks.push(section(stepBlockText(r, s, i, opts.live, cmdPerStep)));
    });
  } else {
    const lines = plan.steps.map((s, i) => {
      const st = stepState(r, i, opts.live);
      return `${st ? `${STEP_EMOJI[st] ?? ''} ` : ''}*${i + 1}/${n}* ${esc(s.sentence)} · ${riskLabel(s.risk)} · ${s.commands.length} cmd`;
    });
    blocks.push(
      ...packLines(lines, maxStepBlocks, (k) => `_…${k} more steps left out (${n} in all)._`).blocks,
    );
  }
  blocks.push(
    context(
      `Plan \`${esc(plan.id)}\` · made from fingerprint \`${esc(plan.fingerprint.slice(0, 12))}\` · the commands above${hasCollapsedCommands(plan) ? ' (each one in full in the thread)' : ''} are exactly what will be sent · before each step the worker re-reads the cluster and stops if it moved on`,
    ),
  );
  const text = `Plan ${plan.id} on ${plan.cluster} (${riskWords(plan.risk)}): ${plan.title} — ${r.status}`;
  return fitMessage(text, blocks);
}

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

/** The final reply in the thread: what it was, what it is now, how long it took. */
export function renderSummary(
  r: PlanRecord,
  opts: {
    progress?: ProgressState;
    after?: { findings: Pick<Finding, 'severity' | 'summary' | 'code'>[]; healthy: boolean; error?: string };
  },
): ChatMessage {
  const { plan } = r;
  const status = r.result?.status ?? opts.progress?.status ?? r.status;
  const emoji =
    status === 'succeeded'
      ? ':white_check_mark:'
      : status === 'stale'
        ? ':warning:'
        : status === 'cancelled'
          ? ':no_entry_sign:'
          : ':x:';
  const before = plan.findings.length
    ? plan.findings
        .slice(0, 8)
        .map((f) => `• ${esc(f.summary)}`)
        .join('\n') + (plan.findings.length > 8 ? `\n_…${plan.findings.length - 8} more_` : '')
    : '_no findings recorded_';
  let after: string;
  if (!opts.after) after = '_not re-read_';
  else if (opts.after.error) after = `:warning: could not re-read the cluster: ${esc(opts.after.error)}`;
  else if (opts.after.findings.length === 0) after = ':large_green_circle: healthy: no findings';
  else
    after =
      (opts.after.healthy ? ':large_green_circle: no critical finding\n' : '') +
      opts.after.findings
        .slice(0, 8)
        .map((f) => `• ${f.severity === 'critical' ? ':red_circle: ' : ''}${esc(f.summary)}`)
        .join('\n') +
      (opts.after.findings.length > 8 ? `\n_…${opts.after.findings.length - 8} more_` : '');
  const p = opts.progress;
  const elapsed =
    p?.startedAt !== undefined && p.finishedAt !== undefined ? p.finishedAt - p.startedAt : undefined;
  const blocks: Block[] = [
    section(
      `${emoji} *Plan ${esc(plan.id)} ${status}* on ${esc(plan.cluster)}${elapsed !== undefined ? ` in ${duration(elapsed)}` : ''}${r.result?.detail ? `\n${esc(clip(r.result.detail, 1500))}` : ''}${
        r.cancelRequestedBy && status !== 'cancelled'
          ? `\n:no_entry_sign: The cancel of ${mention(r.cancelRequestedBy)} came during its last step, which had already started and finished.`
          : ''
      }`,
    ),
    fields([
      ['Before', clip(before, 1900)],
      ['After', clip(after, 1900)],
    ]),
  ];
  if (p) {
    const stepLines = plan.steps
      .map((s, i) => {
        const st = p.steps[i];
        return `${STEP_EMOJI[st?.state ?? 'pending'] ?? ''} ${i + 1}. \`${s.kind}\`${st?.ms !== undefined ? ` ${duration(st.ms)}` : ''}`;
      })
      .slice(0, 30);
    blocks.push(context(clip(stepLines.join('  '), 2900)));
    const m = Object.entries(p.metrics).filter(([, v]) => Number.isFinite(v));
    if (m.length) {
      const redis = p.metrics.redisWaitMs;
      const note = redis !== undefined ? ` (of which waiting for Redis itself: ${duration(redis)})` : '';
      blocks.push(
        context(clip(`Figures${note}: ${m.map(([k, v]) => `${esc(k)}=${Math.round(v)}`).join(', ')}`, 2900)),
      );
    }
  }
  blocks.push(
    context(
      `Requested by ${mention(plan.requestedBy)} · approved by ${r.approvals.map((a) => mention(a.user)).join(', ') || '—'} · \`/redis audit ${esc(plan.id)}\` for the full trail`,
    ),
  );
  return fitMessage(`Plan ${plan.id} ${status} on ${plan.cluster}`, blocks);
}
