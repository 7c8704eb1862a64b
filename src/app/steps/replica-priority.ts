/**
 * `replica-priority` (standalone under Sentinel): `CONFIG SET replica-priority N` on a replica, then wait
 * until the node says N and, when Sentinels are named, until every answering Sentinel lists that replica
 * with `slave-priority` N (Sentinel re-reads a replica's INFO about every 10 s; it picks by that copy).
 */

import { unreachableText } from '../../core/standalone/analyze.ts';
import { buildStandaloneView } from '../../core/standalone/view.ts';
import type { Addr } from '../../core/types.ts';
import { pairs } from '../sentinel.ts';
import { failure, timed, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

/** The priority one Sentinel holds for `addr`; undefined when it does not answer, null when it does not list it. */
async function sentinelSees(
  ctx: StepContext,
  sentinel: Addr,
  masterName: string,
  addr: Addr,
): Promise<number | null | undefined> {
  try {
    const reply = await ctx.commander.call(sentinel, ['SENTINEL', 'REPLICAS', masterName]);
    const entry = (Array.isArray(reply) ? reply : []).map(pairs).find((r) => `${r.ip}:${r.port}` === addr);
    return entry ? Number(entry['slave-priority']) : null;
  } catch {
    return undefined;
  }
}

export const replicaPriorityHandler: StepHandlerFor<'replica-priority'> = {
  check(topology, step) {
    const node = buildStandaloneView(topology).byAddr(step.addr);
    if (!node?.reachable) return { state: 'stale', reason: `${step.addr} ${unreachableText(node)}` };
    const now = node.probe.replication?.raw.slave_priority;
    if (!step.sentinels?.length && now !== undefined && Number(now) === step.priority)
      return { state: 'done', detail: `${step.addr} has replica-priority ${step.priority} already` };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const value = String(step.priority);
    try {
      await timed(ctx, () => ctx.commander.call(step.addr, ['CONFIG', 'SET', 'replica-priority', value]));
    } catch (err) {
      throw failure(err, `CONFIG SET replica-priority ${value} on ${step.addr}`);
    }
    return `${step.addr} accepted CONFIG SET replica-priority ${value}`;
  },

  async waitUntilDone(ctx, step) {
    await waitFor(ctx, `${step.addr} to report replica-priority ${step.priority}`, async () => {
      const reply = pairs(await ctx.commander.call(step.addr, ['CONFIG', 'GET', 'replica-priority']));
      return Number(reply['replica-priority']) === step.priority;
    });
    const sentinels = step.sentinels ?? [];
    if (sentinels.length === 0 || !step.masterName)
      return `${step.addr} has replica-priority ${step.priority}`;
    const name = step.masterName;
    const seen = await waitFor(
      ctx,
      `the Sentinels to see replica-priority ${step.priority} on ${step.addr}`,
      async () => {
        const views = await Promise.all(sentinels.map((s) => sentinelSees(ctx, s, name, step.addr)));
        const answering = views.filter((v) => v !== undefined);
        const need = Math.floor(sentinels.length / 2) + 1;
        if (answering.length < need || !answering.every((v) => v === step.priority)) return false;
        return answering.length;
      },
    );
    return `${step.addr} has replica-priority ${step.priority}, and ${seen} of ${sentinels.length} Sentinels see it`;
  },
};
