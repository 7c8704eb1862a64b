/** Where a plan stands: its status line, its facts, each step's state. */
import type { PlanRecord } from '../../core/plan-record.ts';
import { formatKeysAtRisk } from '../../core/risk/format.ts';
import type { Block } from '../chat-port.ts';
import { clip, clock, esc, fields, mention, riskLabel } from './kit.ts';

/** What the chat knows live about a running plan, ahead of the persisted record. */
export interface LiveStep {
  index: number;
  state: 'running' | 'done' | 'skipped' | 'failed' | 'stale' | 'waiting';
  detail?: string;
  ms?: number;
}

/** The mark before a step, by its state. */
export const STEP_EMOJI: Record<string, string> = {
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

/** A step's state as shown: live news first, then the recorded outcome. */
export function stepState(r: PlanRecord, i: number, live?: LiveStep): string | undefined {
  if (live && live.index === i) return live.state;
  const o = r.progress.outcomes.find((x) => x.index === i);
  if (o) return o.outcome;
  if (r.status === 'running' && i === r.progress.nextStep && !live) return 'running';
  return undefined;
}

/** The plan's facts side by side: cluster, risk (with keys at risk), who asked, approvals so far. */
export function planFacts(r: PlanRecord): Block {
  const { plan } = r;
  return fields([
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
  ]);
}
