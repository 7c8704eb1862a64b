import { type PlanAction, planForAction } from '../../../core/plans/index.ts';
import type { CommandRequest } from '../../chat-port.ts';
import { renderMrkdwn } from '../../messages/index.ts';
import { withKeysCounted } from '../../plans/propose.ts';
import { auditSafe, refuse } from '../answer.ts';
import { type ChatContext, planContext, scanOrRefuse } from '../context.ts';
import { postProposal } from '../post-plan.ts';

/** The plan for one operator action (failover, forget, join, restart), posted with its buttons, or refused. */
export async function proposeAction(
  ctx: ChatContext,
  req: CommandRequest,
  cluster: string | undefined,
  action: PlanAction,
): Promise<string> {
  const c = await scanOrRefuse(ctx, req, cluster);
  if (!c.ok) return c.outcome;
  const outcome = planForAction(c.scan.topology, action, planContext(ctx, c.entry, req.user));
  if (!outcome.ok) {
    await auditSafe(ctx, {
      who: req.user,
      what: 'refusal',
      cluster: c.entry.name,
      outcome: outcome.code,
      detail: outcome.reason,
    });
    return refuse(ctx, req, renderMrkdwn(`:no_entry: ${outcome.reason}`, outcome.reason));
  }
  return postProposal(ctx, req, await withKeysCounted(ctx.clusters, outcome.plan, c.scan.topology), []);
}

/** What the answer says when storing an action's plan fails. */
export const PLAN_NOT_STORED = 'The plan could not be stored';
