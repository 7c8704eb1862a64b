import { renderPlans } from '../../messages/index.ts';
import { answer } from '../answer.ts';
import { clusterOrRefuse } from '../context.ts';
import type { Command } from './command.ts';

/** `/redis plans`: the last plans this channel may see. */
export const plans: Command<'plans'> = {
  failed: 'Could not list the plans',
  async run(ctx, intent, req) {
    if (intent.cluster) {
      const c = await clusterOrRefuse(ctx, req, intent.cluster);
      if (!c.ok) return c.outcome;
    }
    const records = (
      await ctx.store.list({ ...(intent.cluster ? { cluster: intent.cluster } : {}), limit: 20 })
    ).filter((r) => ctx.gate.visibleIn(r.plan.cluster, req.channel));
    await answer(
      ctx,
      req,
      renderPlans(records, { now: ctx.clock.now(), ...(intent.cluster ? { cluster: intent.cluster } : {}) }),
    );
    return 'ok';
  },
};
