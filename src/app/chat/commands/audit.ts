import { renderAudit } from '../../messages/index.ts';
import { answer } from '../answer.ts';
import type { Command } from './command.ts';

/** `/redis audit [n] [--plan id]`: the last audit entries this channel may see. */
export const audit: Command<'audit'> = {
  failed: 'Could not read the audit',
  async run(ctx, intent, req) {
    let entries = intent.plan
      ? await ctx.audit.forPlan(intent.plan, intent.n)
      : await ctx.audit.last(intent.cluster ? intent.n * 10 : intent.n);
    if (intent.cluster) entries = entries.filter((e) => e.cluster === intent.cluster).slice(-intent.n);
    entries = entries.filter((e) => ctx.gate.visibleIn(e.cluster, req.channel));
    await answer(
      ctx,
      req,
      renderAudit(entries, {
        n: intent.n,
        ...(intent.plan ? { plan: intent.plan } : {}),
        ...(intent.cluster ? { cluster: intent.cluster } : {}),
      }),
    );
    return 'ok';
  },
};
