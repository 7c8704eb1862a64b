import type { Command } from './command.ts';
import { PLAN_NOT_STORED, proposeAction } from './plan-action.ts';

/** `/redis join <node> [--replica-of <master>]`. */
export const join: Command<'join'> = {
  failed: PLAN_NOT_STORED,
  run: (ctx, intent, req) =>
    proposeAction(ctx, req, intent.cluster, {
      kind: 'join',
      node: intent.node,
      ...(intent.replicaOf ? { replicaOf: intent.replicaOf } : {}),
    }),
};
