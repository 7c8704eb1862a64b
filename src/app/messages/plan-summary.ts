/** The final reply in a plan's thread: before and after, step times and figures. */
import type { PlanRecord } from '../../core/plan-record.ts';
import type { Finding } from '../../core/types.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import { clip, context, duration, esc, fields, fitMessage, mention, section } from './kit.ts';
import type { ProgressState } from './plan-progress.ts';
import { STEP_EMOJI } from './plan-status.ts';

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
