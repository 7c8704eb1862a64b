import { timelineMessage } from '../../timeline-command.ts';
import { postPublic } from '../answer.ts';
import type { Command } from './command.ts';

/** `/redis timeline <plan-id>`: what happened to a plan, in order. */
export const timeline: Command<'timeline'> = {
  async run(ctx, intent, req) {
    await postPublic(ctx, req, await timelineMessage({ store: ctx.store, audit: ctx.audit }, intent));
    return 'ok';
  },
};
