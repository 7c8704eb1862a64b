/**
 * A `diagnose` while the same plan is already open (issue 19, part 6): the same cluster, the same topology
 * fingerprint and the same commands — for example the watcher's. The answer points to the open plan instead
 * of posting a second one with its own Approve button.
 */

import type { PlanRecord, PlanStatus, PlanStore } from '../core/plan-record.ts';
import type { Plan } from '../core/types.ts';
import type { ChatMessage } from './chat-port.ts';
import { esc, mention } from './messages/kit.ts';
import { renderNotice } from './messages/lists.ts';

const OPEN: PlanStatus[] = ['proposed', 'approved', 'queued', 'running'];

/** What makes two plans the same: every command of every step, in order. */
function commandsOf(plan: Plan): string {
  return JSON.stringify(plan.steps.map((s) => [s.kind, s.commands]));
}

/** The open plan of `plan.cluster` made from the same picture with the same commands, if any. */
export async function findOpenTwin(
  store: PlanStore,
  plan: Plan,
  now: number,
): Promise<PlanRecord | undefined> {
  const open = await store.list({ cluster: plan.cluster, status: OPEN, limit: 50 });
  const mine = commandsOf(plan);
  return open.find(
    (r) =>
      r.plan.id !== plan.id &&
      r.plan.fingerprint === plan.fingerprint &&
      !(r.status === 'proposed' && r.plan.expiresAt <= now) &&
      commandsOf(r.plan) === mine,
  );
}

/** A link to a Slack message (opens it, in its thread when it has one). */
export function messageLink(channel: string, ts: string, threadTs?: string): string {
  const thread = threadTs && threadTs !== ts ? `?thread_ts=${threadTs}&cid=${channel}` : '';
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}${thread}`;
}

/** "This plan is already open: approve or reject it there." */
export function renderOpenTwin(rec: PlanRecord): ChatMessage {
  const ref = rec.chatRef;
  const where = ref
    ? ` <${messageLink(ref.channel, ref.ts, ref.threadTs)}|Open plan \`${esc(rec.plan.id)}\`>`
    : '';
  return renderNotice(
    `Redis ${esc(rec.plan.cluster)}: the same plan is already open — plan \`${esc(rec.plan.id)}\` (${rec.status}), proposed by ${mention(rec.plan.requestedBy)} from the same cluster state (fingerprint \`${esc(rec.plan.fingerprint.slice(0, 12))}\`).${where}`,
    ':repeat:',
    'No second plan was made: approve or reject that one. `/redis plans` lists every open plan.',
  );
}
