/**
 * `replica-links`: after nodes changed address, every replica's link to its master must come up again.
 * Redis re-points a replica when it learns its master's new address; a link still down after a grace
 * period gets CLUSTER REPLICATE <master-id> again (it reconnects to the address the cluster now knows).
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, describeNode, nodeById } from '../../core/plans/index.ts';
import type { Addr, NodeId, Topology } from '../../core/types.ts';
import { failure, infoOf, timed, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

/** How long links may take to come up by themselves before CLUSTER REPLICATE is sent again. */
export const LINK_GRACE_MS = 10_000;

type Replica = { id: NodeId; addr: Addr; masterId: NodeId };

/** The master's current address, from the topology read just before the step. */
function masterAddr(topology: Topology, r: Replica): Addr | undefined {
  return nodeById(topology, r.masterId)?.addr ?? undefined;
}

/** Replicas (of `list`) whose link is not up to their master's current address. */
async function linksDown(ctx: StepContext, list: Replica[]): Promise<Replica[]> {
  const down: Replica[] = [];
  await Promise.all(
    list.map(async (r) => {
      const info = await infoOf(ctx, r.addr, 'replication');
      const at = `${info.master_host}:${info.master_port}`;
      if (info.role !== 'slave' || info.master_link_status !== 'up' || at !== masterAddr(ctx.topology, r))
        down.push(r);
    }),
  );
  return down;
}

/** Every live replica as the cluster has them now (Redis may have failed a shard over while nodes reconnected). */
function currentReplicas(topology: Topology): Replica[] {
  return topology.nodes
    .filter((n) => n.role === 'replica' && n.masterId && n.addr && answers(topology, n))
    .map((n) => ({ id: n.id, addr: n.addr!, masterId: n.masterId! }));
}

/** Shards whose roles Redis swapped since the plan was made (a replica in sync took over): said, not hidden. */
function roleChanges(topology: Topology, planned: Replica[]): string[] {
  const out: string[] = [];
  for (const r of planned) {
    const n = nodeById(topology, r.id);
    if (n && (n.role !== 'replica' || n.masterId !== r.masterId))
      out.push(
        n.role === 'master'
          ? `${describeNode(n)} took over from ${r.masterId.slice(0, 8)}`
          : `${describeNode(n)} now follows ${(n.masterId ?? '?').slice(0, 8)}`,
      );
  }
  return out;
}

export const replicaLinksHandler: StepHandlerFor<'replica-links'> = {
  check(topology, step) {
    for (const r of step.replicas) {
      const n = nodeById(topology, r.id);
      if (!n || !answers(topology, n))
        return { state: 'stale', reason: `${r.addr} (${r.id.slice(0, 8)}) does not answer` };
    }
    const replicas = currentReplicas(topology);
    for (const r of replicas) {
      const master = nodeById(topology, r.masterId);
      if (!master || !answers(topology, master))
        return { state: 'stale', reason: `master ${r.masterId.slice(0, 8)} of ${r.addr} does not answer` };
    }
    const up = replicas.filter((r) => {
      const repl = nodeById(topology, r.id)?.replication;
      return (
        repl?.masterLinkStatus === 'up' && `${repl.masterHost}:${repl.masterPort}` === masterAddr(topology, r)
      );
    });
    if (up.length === replicas.length) {
      const swapped = roleChanges(topology, step.replicas);
      return {
        state: 'done',
        detail: `all ${up.length} replica links are up${swapped.length > 0 ? ` (Redis failed over meanwhile: ${swapped.join('; ')})` : ''}`,
      };
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const grace = Math.min(LINK_GRACE_MS, Math.floor(ctx.waitTimeoutMs / 3));
    const swapped = roleChanges(ctx.topology, step.replicas);
    const note =
      swapped.length > 0 ? `Redis failed over while the nodes reconnected: ${swapped.join('; ')}. ` : '';
    const all = currentReplicas(ctx.topology);
    let down = all;
    try {
      await waitFor(
        ctx,
        'the replica links to come up by themselves',
        async () => {
          down = await linksDown(ctx, down);
          return down.length === 0;
        },
        { timeoutMs: grace },
      );
      return `${note}all ${all.length} replica links came up by themselves`;
    } catch (err) {
      if (!(err instanceof CodedError) || err.code !== ErrorCodes.StepTimeout) throw err;
    }
    await timed(ctx, () =>
      Promise.all(
        down.map(async (r) => {
          try {
            await ctx.commander.call(r.addr, ['CLUSTER', 'REPLICATE', r.masterId]);
          } catch (err) {
            throw failure(err, `CLUSTER REPLICATE on ${r.addr}`);
          }
        }),
      ),
    );
    ctx.metrics.replicateAgain = down.length;
    return `${note}link still down after ${grace} ms on ${down.map((r) => r.addr).join(', ')}: CLUSTER REPLICATE sent again`;
  },

  async waitUntilDone(ctx) {
    const all = currentReplicas(ctx.topology);
    await waitFor(ctx, 'every replica link to be up', async () => (await linksDown(ctx, all)).length === 0);
    return `all ${all.length} replica links are up`;
  },
};
