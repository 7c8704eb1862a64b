/**
 * `promote` (standalone): make a replica the master.
 * - Master gone: `REPLICAOF NO ONE` on the replica. Stale once the old master answers again, when another
 *   replica has overtaken it, or when Sentinel watches the set (never fight Sentinel).
 * - Handover (`handover: true`, the master runs): `FAILOVER TO <replica>` on the master, which pauses writes
 *   until the replica caught up; done when the replica is master and the old master follows it.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { unreachableText } from '../../core/standalone/analyze.ts';
import { HANDOVER_TIMEOUT_MS, splitHostPort } from '../../core/standalone/steps.ts';
import { buildStandaloneView, joinAddr, replicasOf } from '../../core/standalone/view.ts';
import { failure, infoOf, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const sentinelWatchedReason =
  'Sentinel watches these nodes: the bot sends no REPLICAOF behind its back (fail over through Sentinel instead)';

export const promoteHandler: StepHandlerFor<'promote'> = {
  check(topology, step) {
    const view = buildStandaloneView(topology);
    const node = view.byAddr(step.addr);
    const former = view.byAddr(step.formerMaster);
    if (!node?.reachable) return { state: 'stale', reason: `${step.addr} ${unreachableText(node)}` };
    if (node.role === 'master') {
      const formerFollows = former?.reachable && former.role === 'replica' && former.masterAddr === node.addr;
      if (!step.handover || formerFollows || !former?.reachable) {
        return { state: 'done', detail: `${step.addr} is already master` };
      }
    }
    if (view.sentinelWatched) return { state: 'stale', reason: sentinelWatchedReason };
    if (node.role !== 'replica') return { state: 'stale', reason: `${step.addr} is not a replica any more` };
    if (step.formerMaster && node.masterAddr !== step.formerMaster) {
      return {
        state: 'stale',
        reason: `${step.addr} now follows ${node.masterAddr ?? '?'}, not ${step.formerMaster}`,
      };
    }
    if (step.handover) {
      if (!former?.reachable || former.role !== 'master') {
        return {
          state: 'stale',
          reason: `master ${step.formerMaster} ${unreachableText(former)}: a handover needs it running`,
        };
      }
      if (!node.linkUp)
        return { state: 'stale', reason: `${step.addr} has its link to ${step.formerMaster} down` };
      return { state: 'ready' };
    }
    if (former?.reachable && former.role === 'master') {
      return {
        state: 'stale',
        reason: `master ${step.formerMaster} answers again: promoting ${step.addr} now would make two masters`,
      };
    }
    const ahead = replicasOf(view, node.masterAddr ?? '').find((r) => r.offset > node.offset);
    if (ahead) {
      return {
        state: 'stale',
        reason: `${ahead.addr} is now further ahead (offset ${ahead.offset} > ${node.offset}): it should be promoted instead`,
      };
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    if (step.handover && step.formerMaster) {
      const view = buildStandaloneView(ctx.topology);
      const master = view.byAddr(step.formerMaster);
      // FAILOVER TO names the replica as the master sees it (its slaveN line).
      const line = master?.replicaLines.find((l) => joinAddr(l.ip, l.port) === step.addr);
      const { host, port } = line ? { host: line.ip, port: line.port } : splitHostPort(step.addr);
      const args = ['FAILOVER', 'TO', host, port, 'TIMEOUT', HANDOVER_TIMEOUT_MS];
      try {
        await timed(ctx, () => ctx.commander.call(step.formerMaster!, args));
      } catch (err) {
        throw failure(err, `${args.join(' ')} on ${step.formerMaster}`);
      }
      return `${step.formerMaster} accepted FAILOVER TO ${host} ${port}`;
    }
    try {
      await timed(ctx, () => ctx.commander.call(step.addr, ['REPLICAOF', 'NO', 'ONE']));
    } catch (err) {
      throw failure(err, `REPLICAOF NO ONE on ${step.addr}`);
    }
    return `${step.addr} accepted REPLICAOF NO ONE`;
  },

  async waitUntilDone(ctx, step) {
    if (step.handover && step.formerMaster) {
      const former = step.formerMaster;
      let polls = 0;
      await waitFor(ctx, `${step.addr} to become master and ${former} to follow it`, async () => {
        polls++;
        const [mine, theirs] = await Promise.all([
          infoOf(ctx, step.addr, 'replication'),
          infoOf(ctx, former, 'replication'),
        ]);
        if (mine.role === 'master' && theirs.role === 'slave' && theirs.master_link_status === 'up')
          return true;
        // FAILOVER gave up (the replica did not catch up within its timeout): nothing changed.
        if (
          polls > 3 &&
          theirs.role === 'master' &&
          theirs.master_failover_state === 'no-failover' &&
          mine.role === 'slave'
        ) {
          throw new CodedError(
            ErrorCodes.StepFailed,
            `${former} gave up the handover: ${step.addr} did not catch up within ${HANDOVER_TIMEOUT_MS} ms; nothing changed`,
            { transient: false },
          );
        }
        return false;
      });
      return `${step.addr} is master; ${former} follows it with its link up`;
    }
    await waitFor(ctx, `${step.addr} to report role:master`, async () => {
      const info = await infoOf(ctx, step.addr, 'replication');
      return info.role === 'master';
    });
    return `${step.addr} is master`;
  },
};
