/**
 * `sentinel-failover`: `SENTINEL FAILOVER <name>` on a Sentinel; Sentinel picks and promotes the replica
 * and repoints the others. Done once the Sentinels name another master than the one planned against and
 * that node answers as master. Verified by asking every Sentinel (SENTINEL GET-MASTER-ADDR-BY-NAME) until a
 * majority of those answering name the same new master.
 */

import { buildStandaloneView } from '../../core/standalone/view.ts';
import type { Addr } from '../../core/types.ts';
import { readSentinel, sentinelFailover, sentinelMasterAddr } from '../sentinel.ts';
import { failure, infoOf, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const sentinelFailoverHandler: StepHandlerFor<'sentinel-failover'> = {
  check(topology, step) {
    const s = topology.sentinel;
    if (!s?.answers.some((a) => a.outcome === 'ok')) {
      return {
        state: 'stale',
        reason: `no Sentinel answers about "${step.masterName}" (${step.sentinels.join(', ')})`,
      };
    }
    if (step.masterAddr && s.masterAddr && s.masterAddr !== step.masterAddr) {
      const now = buildStandaloneView(topology).byAddr(s.masterAddr);
      if (now?.reachable && now.role === 'master') {
        return {
          state: 'done',
          detail: `Sentinel already names ${s.masterAddr} as master of "${step.masterName}", and it answers as master`,
        };
      }
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    try {
      const r = await timed(ctx, () => sentinelFailover(ctx.commander, step.sentinels, step.masterName));
      return r.inProgress
        ? `${r.addr}: a failover of "${step.masterName}" is already in progress`
        : `${r.addr} accepted SENTINEL FAILOVER ${step.masterName}`;
    } catch (err) {
      throw failure(err, `SENTINEL FAILOVER ${step.masterName}`);
    }
  },

  async waitUntilDone(ctx, step) {
    const need = Math.floor(step.sentinels.length / 2) + 1;
    const agreed = await waitFor(
      ctx,
      `a majority of the Sentinels to name a new master of "${step.masterName}"`,
      async () => {
        const named = await Promise.all(
          step.sentinels.map((a) =>
            sentinelMasterAddr(ctx.commander, a, step.masterName).catch(() => undefined),
          ),
        );
        const votes = new Map<Addr, number>();
        for (const n of named) if (n) votes.set(n, (votes.get(n) ?? 0) + 1);
        const top = [...votes].sort((a, b) => b[1] - a[1])[0];
        if (!top || top[0] === step.masterAddr || top[1] < need) return false;
        return { addr: top[0], votes: top[1] };
      },
    );
    await waitFor(ctx, `${agreed.addr} to report role:master`, async () => {
      const info = await infoOf(ctx, agreed.addr, 'replication');
      return info.role === 'master';
    });
    // Sentinel's failover ends once it has repointed the replicas (or after its failover-timeout).
    await waitFor(ctx, `the Sentinels to finish the failover of "${step.masterName}"`, async () => {
      const views = await Promise.all(
        step.sentinels.map((a) => readSentinel(ctx.commander, a, step.masterName).catch(() => undefined)),
      );
      const answering = views.filter((v) => v?.outcome === 'ok');
      return (
        answering.length >= need &&
        answering.every((v) => !v!.flags?.includes('failover_in_progress') && v!.masterAddr === agreed.addr)
      );
    });
    // Not a failure: the restore steps that follow must still run. The thread says it plainly.
    const chosen =
      step.expectPromoted && step.expectPromoted !== agreed.addr
        ? ` — NOT the chosen replica ${step.expectPromoted}`
        : step.expectPromoted
          ? ' (the chosen replica)'
          : '';
    return `Sentinel promoted ${agreed.addr}${chosen}: ${agreed.votes} of ${step.sentinels.length} Sentinels name it master of "${step.masterName}", and the failover is finished`;
  },
};
