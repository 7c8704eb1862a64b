import { renderStatus } from '../../messages/index.ts';
import { answer, postPublic } from '../answer.ts';
import { scanOrRefuse } from '../context.ts';
import type { Command } from './command.ts';

/** `/redis status [--private]`: the cluster as it is now. */
export const status: Command<'status'> = {
  async run(ctx, intent, req) {
    const c = await scanOrRefuse(ctx, req, intent.cluster);
    if (!c.ok) return c.outcome;
    const { topology, findings } = c.scan;
    const msg = ctx.statusLinked(c.entry.name, renderStatus(topology, findings), findings);
    if (intent.private) await answer(ctx, req, msg);
    else await postPublic(ctx, req, msg);
    return 'ok';
  },
};
