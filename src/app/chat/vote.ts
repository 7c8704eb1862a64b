import type { Refusal } from '../approvals.ts';
import { ActionIds, type ActionRequest } from '../chat-port.ts';
import { renderMrkdwn } from '../messages/index.ts';
import { schedulePlanUpdate, watchPlan } from '../plans/plan-thread.ts';
import { answer, gateRefused } from './answer.ts';
import type { ChatContext } from './context.ts';

/** Approve / Reject on a plan message: the gate, then the approval guard; returns the outcome for the metrics. */
export async function vote(ctx: ChatContext, req: ActionRequest): Promise<string> {
  const { store, gate, approvals } = ctx;
  const planId = req.value;
  const before = gate.checkAction(planId, null, req) ? null : await store.get(planId);
  const gated = gate.checkAction(planId, before, req);
  if (gated) {
    // A value that is no plan id is not echoed into the audit.
    const what = gated.outcome === 'bad-plan-id' ? 'a value that is no plan id' : `plan ${planId}`;
    await gateRefused(ctx, req, gated, `${req.actionId} on ${what}`, before);
    return gated.outcome;
  }
  // A plan posted through respond (no ts at the time) learns its message here.
  if (before && !before.chatRef && req.messageTs) {
    await store
      .setChatRef(planId, {
        channel: req.channel,
        ts: req.messageTs,
        threadTs: req.threadTs ?? req.messageTs,
      })
      .catch(() => {});
  }
  let outcome: string;
  if (req.actionId === ActionIds.approve) {
    const r = await approvals.approve(planId, req.user);
    if (!r.ok) return refused(ctx, req, r);
    await answer(ctx, req, renderMrkdwn(`:white_check_mark: ${r.message}`, r.message));
    if (r.state === 'approved') watchPlan(ctx.threads, planId);
    outcome = r.state;
  } else {
    const r = await approvals.reject(planId, req.user);
    if (!r.ok) return refused(ctx, req, r);
    await answer(ctx, req, renderMrkdwn(`:no_entry: ${r.message}`, r.message));
    outcome = 'rejected';
  }
  schedulePlanUpdate(ctx.threads, planId);
  return outcome;
}

/** The approval guard said no: say why; the plan's message is redrawn when the plan exists. */
async function refused(ctx: ChatContext, req: ActionRequest, r: Refusal): Promise<string> {
  await answer(ctx, req, renderMrkdwn(`:no_entry: ${r.reason}`, r.reason));
  if (r.record) schedulePlanUpdate(ctx.threads, req.value);
  return `refused-${r.code}`;
}
