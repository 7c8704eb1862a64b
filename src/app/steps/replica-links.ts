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

export const replicaLinksHandler: StepHandlerFor<'replica-links'> = {
  check(topology, step) {
    let up = 0;
    for (const r of step.replicas) {
      const n = nodeById(topology, r.id);
      const master = nodeById(topology, r.masterId);
      if (!n || !answers(topology, n)) return { state: 'stale', reason: `replica ${r.addr} does not answer` };
      if (n.role !== 'replica' || n.masterId !== r.masterId)
        return {
          state: 'stale',
          reason: `${describeNode(n)} no longer replicates ${r.masterId.slice(0, 8)}`,
        };
      if (!master || !answers(topology, master))
        return { state: 'stale', reason: `master ${r.masterId.slice(0, 8)} of ${r.addr} does not answer` };
      const repl = n.replication;
      if (repl?.masterLinkStatus === 'up' && `${repl.masterHost}:${repl.masterPort}` === master.addr) up++;
    }
    if (up === step.replicas.length) return { state: 'done', detail: `all ${up} replica links are up` };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const grace = Math.min(LINK_GRACE_MS, Math.floor(ctx.waitTimeoutMs / 3));
    let down = step.replicas;
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
      return `all ${step.replicas.length} replica links came up by themselves`;
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
    return `link still down after ${grace} ms on ${down.map((r) => r.addr).join(', ')}: CLUSTER REPLICATE sent again`;
  },

  async waitUntilDone(ctx, step) {
    await waitFor(
      ctx,
      'every replica link to be up',
      async () => (await linksDown(ctx, step.replicas)).length === 0,
    );
    return `all ${step.replicas.length} replica links are up`;
  },
};
