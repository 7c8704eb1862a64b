import type { Command } from './command.ts';
import { PLAN_NOT_STORED, proposeAction } from './plan-action.ts';

/** `/redis restart <pod>`. */
export const restart: Command<'restart'> = {
  failed: PLAN_NOT_STORED,
  run: (ctx, intent, req) => proposeAction(ctx, req, intent.cluster, { kind: 'restart', pod: intent.pod }),
};
