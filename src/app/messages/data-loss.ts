import { ActionIds, type Block } from '../chat-port.ts';
import { actions, button, confirmDialog, esc } from './kit.ts';

/**
 * The second, clearly labelled way forward on a "No plan" answer for a shard gone for good: proposes the
 * data-loss plan (`diagnose --accept-data-loss`), which still needs two approvers before anything runs.
 */
export function dataLossButton(cluster: string): Block {
  return actions(`diagnose_data_loss_${cluster}`, [
    button('Propose the data-loss plan (2 approvers)', ActionIds.acceptDataLoss, cluster, {
      style: 'danger',
      confirm: confirmDialog(
        `Propose a data-loss plan for ${cluster}?`,
        `Only if the dead master cannot come back with its data. This posts a plan for *${esc(cluster)}* that gives its slots away empty (their keys are lost) and forgets the dead nodes. Nothing runs until two approvers approve it.`,
        'Propose it',
        'danger',
      ),
    }),
  ]);
}
