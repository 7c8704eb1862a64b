/**
 * A plan's incident as a postmortem-ready timeline (issue 19, part 4): detected or alerted, diagnosed,
 * approved by whom, each step with its command count and duration, and how it ended. Built from the plan
 * record and its audit entries. Pure.
 */
import type { AuditEntry, PlanRecord } from './plan-record.ts';

export interface TimelineEntry {
  at: number;
  /** One line for a person, plain text (no mrkdwn). */
  what: string;
  /** A Slack user id the line names, rendered as a mention in chat. */
  who?: string;
}

const WATCHER = 'watcher';

/** `2026-12-04 03:12:41 UTC`. */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function ms(n: number): string {
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

function origin(rec: PlanRecord): TimelineEntry {
  const p = rec.plan;
  const alerted = rec.chatRef?.preface?.some((l) => l.includes('Alertmanager'));
  if (alerted) return { at: p.createdAt, what: 'Alerted: Alertmanager' };
  if (p.requestedBy === WATCHER) return { at: p.createdAt, what: 'Detected by the watcher' };
  return { at: p.createdAt, what: 'Requested by', who: p.requestedBy };
}

/** The timeline, oldest first. */
export function buildTimeline(rec: PlanRecord, audit: AuditEntry[]): TimelineEntry[] {
  const p = rec.plan;
  const out: TimelineEntry[] = [origin(rec)];
  out.push({
    at: p.createdAt,
    what: `Diagnosed: ${p.title} (${p.steps.length} step${p.steps.length === 1 ? '' : 's'}, ${p.risk} risk, plan ${p.id})`,
  });
  for (const a of rec.approvals) out.push({ at: a.at, what: 'Approved by', who: a.user });
  if (rec.rejectedBy) {
    const at = audit.find((e) => e.what === 'rejection')?.at ?? rec.updatedAt;
    out.push({ at, what: 'Rejected by', who: rec.rejectedBy });
  }
  const stepAudit = audit.filter((e) => e.what === 'step');
  for (const o of rec.progress.outcomes) {
    const step = p.steps[o.index];
    const n = step?.commands.length ?? 0;
    const done = stepAudit.find((e) => (e.detail ?? '').startsWith(`step ${o.index + 1}: `))?.at;
    out.push({
      at: done !== undefined ? done - o.ms : rec.updatedAt,
      what: `Step ${o.index + 1} ${step?.kind ?? '?'}: ${o.outcome}, ${n} command${n === 1 ? '' : 's'}, ${ms(o.ms)}${o.detail ? ` — ${o.detail}` : ''}`,
    });
  }
  if (rec.cancelledBy) out.push({ at: rec.updatedAt, what: 'Cancelled by', who: rec.cancelledBy });
  if (rec.result) {
    const healthy = rec.result.status === 'succeeded';
    out.push({
      at: rec.result.finishedAt,
      what: `${healthy ? 'Healthy: plan succeeded' : `Ended: ${rec.result.status}`}${rec.result.detail ? ` — ${rec.result.detail}` : ''}`,
    });
  } else if (!['succeeded', 'failed', 'stale', 'cancelled'].includes(rec.status)) {
    out.push({ at: rec.updatedAt, what: `Now: ${rec.status}` });
  }
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}

/** The timeline as a Markdown list to paste into a postmortem (times in UTC). */
export function timelineMarkdown(rec: PlanRecord, entries: TimelineEntry[]): string {
  const lines = entries.map((e) => `- ${utc(e.at)} — ${e.what}${e.who ? ` ${e.who}` : ''}`);
  return [`### Timeline: plan ${rec.plan.id} on ${rec.plan.cluster}`, '', ...lines].join('\n');
}
