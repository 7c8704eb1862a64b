/** `/redis timeline <plan-id> [--markdown]` (issue 19, part 4): the plan's story from its record and audit. */

import type { AuditLog, PlanStore } from '../core/plan-record.ts';
import { buildTimeline } from '../core/timeline.ts';
import type { ChatMessage } from './chat-port.ts';
import { renderNotice } from './messages/lists.ts';
import { renderTimeline } from './messages/timeline.ts';

export async function timelineMessage(
  deps: { store: Pick<PlanStore, 'get'>; audit: Pick<AuditLog, 'forPlan'> },
  intent: { plan: string; markdown?: boolean; cluster?: string },
): Promise<ChatMessage> {
  const rec = await deps.store.get(intent.plan);
  if (!rec || (intent.cluster && rec.plan.cluster !== intent.cluster))
    return renderNotice(
      `No plan \`${intent.plan}\`${intent.cluster ? ` on ${intent.cluster}` : ''}: \`/redis plans\` lists the recent ones.`,
      ':mag:',
    );
  const entries = buildTimeline(rec, await deps.audit.forPlan(rec.plan.id));
  return renderTimeline(rec, entries, { markdown: intent.markdown === true });
}
