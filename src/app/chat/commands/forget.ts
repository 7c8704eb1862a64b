import type { Command } from './command.ts';
import { PLAN_NOT_STORED, proposeAction } from './plan-action.ts';

/** `/redis forget <node>`. */
export const forget: Command<'forget'> = {
  failed: PLAN_NOT_STORED,
  run: (ctx, intent, req) => proposeAction(ctx, req, intent.cluster, { kind: 'forget', node: intent.node }),
};
