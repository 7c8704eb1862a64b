import { renderCancelled, renderMrkdwn } from '../../messages/index.ts';
import { schedulePlanUpdate } from '../../plans/plan-thread.ts';
import { answer, refuse } from '../answer.ts';
import type { Command } from './command.ts';

/** `/redis cancel <plan-id>`. */
export const cancel: Command<'cancel'> = {
  failed: 'Could not cancel the plan',
  async run(ctx, intent, req) {
    const r = await ctx.approvals.cancel(intent.plan, req.user);
    if (!r.ok) return refuse(ctx, req, renderMrkdwn(`:no_entry: ${r.reason}`, r.reason));
    // A running plan stops at the next check: what was already sent to Redis stays done.
    const msg =
      r.record.status === 'cancelled'
        ? renderCancelled(r.record, req.user)
        : renderMrkdwn(
            `:octagonal_sign: ${r.message}. A command already sent to Redis is not undone; the plan's thread says where it stopped.`,
            r.message,
          );
    await answer(ctx, req, msg);
    schedulePlanUpdate(ctx.threads, intent.plan);
    return 'ok';
  },
};
