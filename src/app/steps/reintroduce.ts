/**
 * `reintroduce`: nodes back at new addresses with their ids. Every live node sends CLUSTER MEET to each new
 * address at once (a MEET to a known id updates its address in place), then we wait until every live node
 * lists every other at its current address, without fail / fail? / handshake flags and with its link up.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, nodeById } from '../../core/plans/cluster-view.ts';
import { splitAddr } from '../../core/plans/plan.ts';
import type { Addr, NodeId, NodeMove, NodeView, Probe, Topology } from '../../core/types.ts';
import { clusterNodesOf, failure, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

const BAD_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'] as const;

function idOf(p: Probe): NodeId | undefined {
  return p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
}

/** Every live member → the address it should be listed at once the moved nodes are met. */
function expectedAddrs(topology: Topology, moves: NodeMove[]): Map<NodeId, Addr> {
  const out = new Map<NodeId, Addr>();
  for (const n of topology.nodes) if (n.addr && answers(topology, n)) out.set(n.id, n.addr);
  for (const m of moves) out.set(m.id, m.to);
  return out;
}

/** What one observer still gets wrong about the others (empty: it agrees). */
function disagreements(observer: NodeId, views: NodeView[], expected: Map<NodeId, Addr>): string[] {
  const out: string[] = [];
  const byId = new Map<NodeId, NodeView>();
  for (const v of views) if (!v.flags.includes('handshake')) byId.set(v.id, v);
  for (const [id, addr] of expected) {
    if (id === observer) continue;
    const v = byId.get(id);
    if (!v) out.push(`does not list ${id.slice(0, 8)}`);
    else if (v.addr !== addr) out.push(`lists ${id.slice(0, 8)} at ${v.addr ?? 'noaddr'}, not ${addr}`);
    else if (v.flags.some((f) => (BAD_FLAGS as readonly string[]).includes(f)))
      out.push(`flags ${id.slice(0, 8)} ${v.flags.join(',')}`);
    else if (v.link !== 'connected') out.push(`has no link to ${id.slice(0, 8)}`);
  }
  return out;
}

/** MEET `m.to` from every sender at once; true when at least one went through. A Redis error reply ends the step. */
async function meetFromAll(ctx: StepContext, senders: Addr[], m: NodeMove): Promise<boolean> {
  const { host, port } = splitAddr(m.to);
  const results = await Promise.allSettled(
    senders.filter((a) => a !== m.to).map((a) => ctx.commander.call(a, ['CLUSTER', 'MEET', host, port])),
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  ctx.metrics.meets! += ok;
  if (ok > 0) return true;
  const refused = results.find(
    (r): r is PromiseRejectedResult =>
      r.status === 'rejected' && !(r.reason instanceof CodedError && r.reason.details?.transient),
  );
  if (refused) throw failure(refused.reason, `CLUSTER MEET ${host} ${port} (${m.label})`);
  return false;
}

export const reintroduceHandler: StepHandlerFor<'reintroduce'> = {
  check(topology, step) {
    for (const m of step.moves) {
      const n = nodeById(topology, m.id);
      if (!n)
        return { state: 'stale', reason: `${m.label} (${m.id.slice(0, 8)}) is no longer in the cluster` };
      const there = topology.probes.find((p) => p.addr === m.to && p.outcome === 'ok');
      const id = there ? idOf(there) : undefined;
      if (id !== m.id) {
        const now = id ? `answers as ${id.slice(0, 8)}` : 'does not answer';
        return { state: 'stale', reason: `${m.to} ${now}: ${m.label} is no longer there` };
      }
    }
    const expected = expectedAddrs(topology, step.moves);
    const read = new Map<NodeId, Probe>();
    for (const q of topology.probes) {
      const id = q.outcome === 'ok' && q.nodes ? idOf(q) : undefined;
      if (id && !read.has(id)) read.set(id, q);
    }
    const wrong: string[] = [];
    for (const id of expected.keys()) {
      const p = read.get(id);
      if (!p?.nodes) wrong.push(`${id.slice(0, 8)} was not read`);
      else wrong.push(...disagreements(id, p.nodes, expected));
    }
    if (wrong.length === 0)
      return {
        state: 'done',
        detail: `every live node (${expected.size}) already lists every other at its current address`,
      };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const senders = [...expectedAddrs(ctx.topology, step.moves).values()];
    if (senders.length < 2)
      throw new CodedError(ErrorCodes.StepFailed, 'no live node to send CLUSTER MEET from', {
        transient: false,
      });
    ctx.metrics.meets = 0;
    // Until one MEET to each new address went through (enough for gossip); a busy node that timed out is asked again.
    let pending = step.moves;
    await waitFor(
      ctx,
      'a CLUSTER MEET to every new address to go through',
      async () => {
        const left = await Promise.all(pending.map((m) => meetFromAll(ctx, senders, m)));
        pending = pending.filter((_, i) => !left[i]);
        return pending.length === 0;
      },
      { metric: 'actionMs' },
    );
    return `${ctx.metrics.meets} MEETs sent from ${senders.length} nodes at once`;
  },

  async waitUntilDone(ctx, step) {
    const expected = expectedAddrs(ctx.topology, step.moves);
    let last: string[] = [];
    try {
      await waitFor(ctx, 'every node to list every other at its new address', async () => {
        const views = await Promise.all(
          [...expected].map(async ([id, addr]) => {
            const wrong = disagreements(id, await clusterNodesOf(ctx, addr), expected);
            return wrong.map((w) => `${addr} ${w}`);
          }),
        );
        last = views.flat();
        return last.length === 0;
      });
    } catch (err) {
      if (err instanceof CodedError && err.code === ErrorCodes.StepTimeout && last.length > 0) {
        const shown = last.slice(0, 5).join('; ');
        throw new CodedError(
          err.code,
          `${err.message}; still: ${shown}${last.length > 5 ? '; …' : ''}`,
          err.details,
        );
      }
      throw err;
    }
    return `all ${expected.size} nodes list each other at their current addresses`;
  },
};
