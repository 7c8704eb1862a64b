/**
 * `reintroduce`: nodes back at new addresses with their ids. Every live node sends CLUSTER MEET to each new
 * address at once (a MEET to a known id updates its address in place), then we wait until every live node
 * lists every other at its current address, without fail / fail? / handshake flags and with its link up.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, nodeById } from '../../core/plans/cluster-view.ts';
import { splitAddr } from '../../core/plans/plan.ts';
import type { Addr, NodeId, NodeMove, NodeView, Probe, Topology } from '../../core/types.ts';
import { clusterNodesOf, failure, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

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
  for (const [id, addr] of expected) {
    if (id === observer) continue;
    const v = views.find((x) => x.id === id && !x.flags.includes('handshake'));
    if (!v) out.push(`does not list ${id.slice(0, 8)}`);
    else if (v.addr !== addr) out.push(`lists ${id.slice(0, 8)} at ${v.addr ?? 'noaddr'}, not ${addr}`);
    else if (v.flags.some((f) => (BAD_FLAGS as readonly string[]).includes(f)))
      out.push(`flags ${id.slice(0, 8)} ${v.flags.join(',')}`);
    else if (v.link !== 'connected') out.push(`has no link to ${id.slice(0, 8)}`);
  }
  return out;
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
    const wrong: string[] = [];
    for (const id of expected.keys()) {
      const p = topology.probes.find((q) => q.outcome === 'ok' && q.nodes && idOf(q) === id);
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
    ctx.metrics.meets = 0;
    await timed(ctx, async () => {
      await Promise.all(
        step.moves.map(async (m) => {
          const { host, port } = splitAddr(m.to);
          const from = senders.filter((a) => a !== m.to);
          const results = await Promise.allSettled(
            from.map((a) => ctx.commander.call(a, ['CLUSTER', 'MEET', host, port])),
          );
          const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          ctx.metrics.meets! += results.length - failed.length;
          // One MEET that went through is enough for gossip to spread the address; none is a failure.
          if (from.length > 0 && failed.length === results.length)
            throw failure(failed[0]!.reason, `CLUSTER MEET ${host} ${port} (${m.label})`);
        }),
      );
    });
    if (senders.length === 0)
      throw new CodedError(ErrorCodes.StepFailed, 'no live node to send CLUSTER MEET from', {
        transient: false,
      });
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
