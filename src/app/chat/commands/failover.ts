import type { Command } from './command.ts';
import { PLAN_NOT_STORED, proposeAction } from './plan-action.ts';

/** `/redis failover <node> [--force|--takeover]`. */
export const failover: Command<'failover'> = {
  failed: PLAN_NOT_STORED,
  run: (ctx, intent, req) =>
    proposeAction(ctx, req, intent.cluster, { kind: 'failover', node: intent.node, mode: intent.mode }),
};
