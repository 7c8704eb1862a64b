/** What an approver reads before voting, and the Approve / Reject buttons. */
import type { Plan } from '../../core/types.ts';
import { ActionIds, type Block } from '../chat-port.ts';
import { actions, button, confirmDialog, esc, riskLabel, riskWords } from './kit.ts';

/** The high-risk steps, each with what could go wrong, under the plan's risk badge. */
export function riskWarning(plan: Plan): string | undefined {
  const risky = plan.steps
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.risk === 'high' || s.risk === 'data-loss');
  if (risky.length === 0) return undefined;
  const lines = risky.slice(0, 5).map(({ s, i }) => {
    const why =
      s.kind === 'failover' && s.mode === 'takeover'
        ? 'CLUSTER FAILOVER TAKEOVER skips the vote: writes can be lost if the old master comes back.'
        : s.kind === 'fix-slots' && s.action === 'assign'
          ? 'the keys of these slots are lost: they are given, empty, to a live master.'
          : esc(s.sentence);
    return `• step ${i + 1}: ${why}`;
  });
  return `${riskLabel(plan.risk)} — read before approving:\n${lines.join('\n')}`;
}

/** The Approve / Reject buttons, with confirm dialogs naming the cluster and the risk. */
export function voteButtons(plan: Plan, approvalsNeeded: 1 | 2): Block {
  const risk = riskWords(plan.risk);
  const two = approvalsNeeded === 2 ? ' It needs two different approvers.' : '';
  return actions(`plan_votes_${plan.id}`, [
    button('Approve', ActionIds.approve, plan.id, {
      style: 'primary',
      confirm: confirmDialog(
        `Run on ${plan.cluster}? (${risk})`,
        `Approve plan ${plan.id} on cluster *${esc(plan.cluster)}*: ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, *${risk}*.${two} ${esc(plan.title)}`,
        'Approve',
        plan.risk === 'high' || plan.risk === 'data-loss' ? 'danger' : 'primary',
      ),
    }),
    button('Reject', ActionIds.reject, plan.id, {
      style: 'danger',
      confirm: confirmDialog(
        `Reject plan on ${plan.cluster}?`,
        `Reject plan ${plan.id} on cluster *${esc(plan.cluster)}* (${risk}). Nothing will run.`,
        'Reject',
      ),
    }),
  ]);
}
