import { renderNotice } from '../../messages/index.ts';
import { postPublic, refusal, refuse } from '../answer.ts';
import { clusterOrRefuse } from '../context.ts';
import type { Command } from './command.ts';

/** `/redis chaos …` (sandbox only): breaks the local cluster on purpose. */
export const chaos: Command<'chaos'> = {
  async run(ctx, intent, req) {
    if (!ctx.chaos)
      return refuse(ctx, req, refusal('chaos sub-commands exist only in the sandbox (npm run sandbox).'));
    const c = await clusterOrRefuse(ctx, req, intent.cluster);
    if (!c.ok) return c.outcome;
    const r = await ctx.chaos({
      action: intent.action,
      ...(intent.node ? { node: intent.node } : {}),
      cluster: c.entry.name,
      user: req.user,
    });
    await postPublic(ctx, req, typeof r === 'string' ? renderNotice(r, ':boom:') : r);
    return 'ok';
  },
};
