import { asCodedError } from '../../core/errors.ts';
import type { ChatRef } from '../../core/plan-record.ts';
import type { Finding, Plan } from '../../core/types.ts';
import type { CommandRequest } from '../chat-port.ts';
import { renderPlan } from '../messages/index.ts';
import { noteOtherOpenPlans, postCommandList, postOtherFindings } from '../plans/plan-notes.ts';
import { recordProposal } from '../plans/propose.ts';
import { postPublic } from './answer.ts';
import type { ChatContext } from './context.ts';

/** Stores a plan, posts it with its buttons, and remembers where it lives so any process can update it. */
export async function postProposal(
  ctx: ChatContext,
  req: CommandRequest,
  plan: Plan,
  otherFindings: Finding[],
): Promise<string> {
  const rec = await recordProposal(ctx, plan, req.user);
  const ts = await postPublic(ctx, req, ctx.planLinked(rec, renderPlan(rec, { now: ctx.clock.now() })));
  if (ts) {
    const ref: ChatRef = { channel: req.channel, ts, threadTs: ts };
    await ctx.store
      .setChatRef(plan.id, ref)
      .catch((err) => ctx.log.warn({ err: asCodedError(err).message }, 'setChatRef failed'));
    await postCommandList(ctx, req.channel, ts, rec.plan);
    await postOtherFindings(ctx, req.channel, ts, otherFindings);
    await noteOtherOpenPlans(ctx, req.channel, ts, rec);
  }
  return 'proposed';
}
