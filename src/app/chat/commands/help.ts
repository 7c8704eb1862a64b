import { renderHelp } from '../../messages/index.ts';
import { answer } from '../answer.ts';
import type { Command } from './command.ts';

/** `/redis help [topic]`. */
export const help: Command<'help'> = {
  async run(ctx, intent, req) {
    await answer(
      ctx,
      req,
      renderHelp({
        ...(intent.topic ? { topic: intent.topic } : {}),
        clusters: ctx.clusters.names(),
        sandbox: !!ctx.chaos,
      }),
    );
    return 'ok';
  },
};
