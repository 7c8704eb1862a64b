import { findOpenTwin, renderOpenTwin } from '../../open-twin.ts';
import { noPlanMessage } from '../../plans/no-plan.ts';
import { proposeFromFindings, withKeysCounted } from '../../plans/propose.ts';
import { privatePlanPreview } from '../../private-answers.ts';
import { answer, postPublic, refuse } from '../answer.ts';
import { planContext, scanOrRefuse } from '../context.ts';
import { postProposal } from '../post-plan.ts';
import type { Command } from './command.ts';

/** `/redis diagnose`: the plan for what is wrong, with its buttons (or why there is none). */
export const diagnose: Command<'diagnose'> = {
  failed: 'The plan could not be stored',
  async run(ctx, intent, req) {
    const c = await scanOrRefuse(ctx, req, intent.cluster);
    if (!c.ok) return c.outcome;
    const { topology, findings } = c.scan;
    const proposal = proposeFromFindings(topology, findings, {
      ...planContext(ctx, c.entry, req.user),
      ...(intent.acceptDataLoss ? { acceptDataLoss: true } : {}),
    });
    if (!proposal.ok) {
      const msg = ctx.statusLinked(c.entry.name, noPlanMessage(topology, findings, proposal), findings);
      if (intent.private) await answer(ctx, req, msg);
      else await postPublic(ctx, req, msg);
      return 'no-plan';
    }
    const twin = await findOpenTwin(ctx.store, proposal.plan, ctx.clock.now());
    if (twin) return refuse(ctx, req, renderOpenTwin(twin), 'duplicate');
    if (intent.private) {
      await answer(ctx, req, privatePlanPreview(proposal.plan, ctx.clock.now()));
      return 'private';
    }
    const plan = await withKeysCounted(ctx.clusters, proposal.plan, topology);
    return postProposal(ctx, req, plan, proposal.others);
  },
};
