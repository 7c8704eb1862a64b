/**
 * `meet`: CLUSTER MEET from every existing node at once (one MEET spreads by gossip in seconds; every node
 * meeting it directly makes every node know it at once), then wait until every node knows it.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, memberByAddr, observersKnowing, outsiderByAddr } from '../../core/plans/cluster-view.ts';
import { splitAddr } from '../../core/plans/plan.ts';
import { clusterNodesOf, failure, liveMembers, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const meetHandler: StepHandlerFor<'meet'> = {
  check(topology, step) {
    const member = memberByAddr(topology, step.addr);
    if (member && answers(topology, member)) {
      const live = liveMembers(topology, [step.addr]).map((n) => n.addr);
      const knowing = new Set(observersKnowing(topology, member.id));
      if (live.every((a) => a && knowing.has(a))) {
        return {
          state: 'done',
          detail: `${step.addr} is already a member known to all ${live.length} other nodes`,
        };
      }
      return { state: 'ready' };
    }
    const o = outsiderByAddr(topology, step.addr);
    if (o?.outcome !== 'ok') return { state: 'stale', reason: `nothing answers at ${step.addr} any more` };
    if (o.clusterEnabled === false)
      return { state: 'stale', reason: `${step.addr} now runs without cluster mode` };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const newId = String(await ctx.commander.call(step.addr, ['CLUSTER', 'MYID']));
    ctx.metrics.meetNodes = 0;
    const { host, port } = splitAddr(step.addr);
    const from = liveMembers(ctx.topology, [step.addr]).filter((n) => n.id !== newId);
    if (from.length === 0)
      throw new CodedError(ErrorCodes.StepFailed, 'no live member to meet from', { transient: false });
    await timed(ctx, async () => {
      const results = await Promise.allSettled(
        from.map((n) => ctx.commander.call(n.addr!, ['CLUSTER', 'MEET', host, port])),
      );
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      // One MEET is enough for gossip to do the rest; fail only when none went through.
      if (failed.length === results.length) throw failure(failed[0]!.reason, 'CLUSTER MEET');
      ctx.metrics.meetNodes = results.length - failed.length;
    });
    return `${ctx.metrics.meetNodes} nodes met ${step.addr} (${newId.slice(0, 8)})`;
  },

  async waitUntilDone(ctx, step) {
    const newId = String(await ctx.commander.call(step.addr, ['CLUSTER', 'MYID']));
    const others = liveMembers(ctx.topology, [step.addr]).filter((n) => n.id !== newId);
    await waitFor(ctx, `every node to know ${step.addr}`, async () => {
      const views = await Promise.all(others.map((n) => clusterNodesOf(ctx, n.addr!)));
      const allKnowIt = views.every((v) =>
        v.some((x) => x.id === newId && !x.flags.includes('handshake') && x.link === 'connected'),
      );
      if (!allKnowIt) return false;
      const mine = await clusterNodesOf(ctx, step.addr);
      return others.every((o) => mine.some((x) => x.id === o.id && !x.flags.includes('handshake')));
    });
    return `all ${others.length} nodes know ${step.addr}`;
  },
};
