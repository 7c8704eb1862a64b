/**
 * `status --private` / `diagnose --private` (issue 19, part 3): answers only the asker sees. A private
 * diagnose shows the plan it would propose, without Approve / Reject, and a "Share in channel" button that
 * diagnoses again in the channel (a fresh scan, the plan stored and posted for approval).
 */

import type { Plan } from '../core/types.ts';
import { ActionIds, type ChatMessage } from './chat-port.ts';
import { button, context } from './messages/kit.ts';
import { renderPlan } from './messages/plan.ts';

/** The plan as a preview: no votes (it is not stored), a Share button carrying the cluster name. */
export function privatePlanPreview(plan: Plan, now: number): ChatMessage {
  const msg = renderPlan(
    {
      plan,
      status: 'proposed',
      approvalsNeeded: plan.approvalsNeeded,
      approvals: [],
      progress: { nextStep: 0, outcomes: [] },
      updatedAt: now,
    },
    { now },
  );
  const blocks = msg.blocks.filter((b) => !(b.type === 'actions' && b.block_id?.startsWith('plan_votes_')));
  return {
    text: `Only you see this. ${msg.text}`,
    blocks: [
      context(
        ':eyes: Only you see this plan. *Share in channel* diagnoses again there and posts the plan for approval.',
      ),
      ...blocks.slice(0, 46),
      {
        type: 'actions',
        block_id: 'private_share',
        elements: [button('Share in channel', ActionIds.share, plan.cluster, { style: 'primary' })],
      },
    ],
  };
}
