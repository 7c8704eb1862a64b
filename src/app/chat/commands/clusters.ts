import { findingCounts, healthOf, renderClusters } from '../../messages/index.ts';
import { roleCountText } from '../../messages/sentinel-status.ts';
import { answer } from '../answer.ts';
import type { Command } from './command.ts';

/** `/redis clusters`: every cluster with its health. */
export const clusters: Command<'clusters'> = {
  async run(ctx, _intent, req) {
    const list = await Promise.all(
      ctx.clusters.list().map(async (e) => {
        const s = await ctx.scan(e);
        const health = s.ok
          ? healthOf(s.topology, s.findings)
          : { emoji: ':black_circle:', word: 'unreachable' };
        const detail = s.ok
          ? `${roleCountText(s.topology)} · findings: ${findingCounts(s.findings)}`
          : s.error;
        return {
          name: e.name,
          seeds: e.def.seeds,
          health,
          detail,
          ...(e.def.k8s ? { k8s: e.def.k8s } : {}),
        };
      }),
    );
    await answer(ctx, req, renderClusters(list));
    return 'ok';
  },
};
