/**
 * `forget`: CLUSTER FORGET on every live node in parallel. On Redis 7.0 FORGET is not gossiped and bans
 * the id for 60 s only, so every node must get it well inside that window: the spread is recorded.
 * Redis 7.2+ and Valkey gossip it, so members we could not reach drop the id as well while the ban lasts.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, nodeById, observersKnowing } from '../../core/plans/cluster-view.ts';
import { describeNode, formatRanges } from '../../core/plans/plan.ts';
import { answeringServers, clusterTraits, forgetUnreachedNote } from '../../core/topology/server-traits.ts';
import { clusterNodesOf, isReply, liveMembers, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const forgetHandler: StepHandlerFor<'forget'> = {
  check(topology, step) {
    const n = nodeById(topology, step.nodeId);
    const knowers = observersKnowing(topology, step.nodeId).filter(
      (addr) => !topology.probes.some((p) => p.addr === addr && p.myId === step.nodeId),
    );
    if (!n && knowers.length === 0)
      return { state: 'done', detail: `no live node knows ${step.nodeId.slice(0, 8)} any more` };
    if (n && answers(topology, n)) {
      return {
        state: 'stale',
        reason: `${describeNode(n)} answers again: it is alive, forgetting it now would be wrong`,
      };
    }
    if (n && n.role === 'master' && n.slots.length > 0) {
      return { state: 'stale', reason: `${describeNode(n)} still owns slots ${formatRanges(n.slots)}` };
    }
    if (n && n.health === 'ok') {
      return { state: 'stale', reason: `the cluster sees ${describeNode(n)} as healthy again` };
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const id = step.nodeId;
    const targets = liveMembers(ctx.topology).filter((n) => n.id !== id);
    // A replica cannot forget its own master: wait until the replicas of a failed-over node follow the new one.
    const followers = targets.filter((n) => n.masterId === id);
    if (followers.length > 0) {
      await waitFor(ctx, `the replicas of ${id.slice(0, 8)} to follow their new master`, async () => {
        for (const f of followers) {
          const me = (await clusterNodesOf(ctx, f.addr!)).find((v) => v.flags.includes('myself'));
          if (me?.masterId === id) return false;
        }
        return true;
      });
    }
    const replies: number[] = [];
    const errors: CodedError[] = [];
    await timed(ctx, () =>
      Promise.all(
        targets.map(async (n) => {
          try {
            await ctx.commander.call(n.addr!, ['CLUSTER', 'FORGET', id]);
            replies.push(ctx.clock.now());
          } catch (err) {
            if (isReply(err, /Unknown node/i)) {
              replies.push(ctx.clock.now());
              return;
            }
            errors.push(err instanceof CodedError ? err : new CodedError(ErrorCodes.Unexpected, String(err)));
          }
        }),
      ),
    );
    if (replies.length > 0) ctx.metrics.forgetSpreadMs = Math.max(...replies) - Math.min(...replies);
    ctx.metrics.forgetNodes = targets.length;
    if (errors.length > 0) {
      const firstTransient = errors.find((e) => e.details?.transient === true);
      const transient = firstTransient !== undefined;
      throw new CodedError(
        firstTransient?.code ?? ErrorCodes.StepFailed,
        `CLUSTER FORGET failed on ${errors.length} of ${targets.length} nodes: ${errors.map((e) => e.message).join('; ')}`,
        { transient, failed: errors.map((e) => e.details?.addr) },
      );
    }
    // Members we could not reach: whether they drop the id too depends on the servers.
    const silent = ctx.topology.nodes.filter(
      (n) => n.id !== id && !targets.includes(n) && (n.health === 'ok' || n.health === 'unreachable'),
    );
    const also = forgetUnreachedNote(
      clusterTraits(answeringServers(ctx.topology)),
      silent.map((n) => n.addr ?? n.id.slice(0, 8)),
    );
    return `${targets.length} nodes forgot ${id.slice(0, 8)} within ${ctx.metrics.forgetSpreadMs ?? 0} ms${also}`;
  },

  async waitUntilDone(ctx, step) {
    const targets = liveMembers(ctx.topology).filter((n) => n.id !== step.nodeId);
    await waitFor(ctx, `every node to drop ${step.nodeId.slice(0, 8)}`, async () => {
      const views = await Promise.all(targets.map((n) => clusterNodesOf(ctx, n.addr!)));
      return views.every((v) => !v.some((x) => x.id === step.nodeId));
    });
    return undefined;
  },
};
