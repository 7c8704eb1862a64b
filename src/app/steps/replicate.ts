/**
 * `replicate`: CLUSTER REPLICATE on the new node. It answers "Unknown node" until gossip has told it about
 * the master: retried until known. Then wait for the replication link (Redis's repl-diskless-sync-delay).
 */
import { answers, describeNode, memberByAddr, nodeById } from '../../core/plans/index.ts';
import { ensureMasterauth, failure, hintMasterauth, infoOf, isReply, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const replicateHandler: StepHandlerFor<'replicate'> = {
  check(topology, step) {
    const master = nodeById(topology, step.masterId);
    if (!master)
      return { state: 'stale', reason: `master ${step.masterId.slice(0, 8)} is no longer in the cluster` };
    if (master.role !== 'master')
      return { state: 'stale', reason: `${describeNode(master)} is no longer a master` };
    if (!answers(topology, master))
      return { state: 'stale', reason: `master ${describeNode(master)} does not answer` };
    const n = memberByAddr(topology, step.addr);
    if (!n || !answers(topology, n))
      return { state: 'stale', reason: `${step.addr} is not a live cluster member` };
    if (n.role === 'replica' && n.masterId === step.masterId) {
      if (n.replication?.masterLinkStatus === 'up') {
        return { state: 'done', detail: `${step.addr} already replicates ${describeNode(master)}, link up` };
      }
      return { state: 'ready' };
    }
    if (n.role === 'replica' && step.fromMasterId && n.masterId === step.fromMasterId)
      return { state: 'ready' };
    if (n.role === 'replica') {
      const other = n.masterId ? nodeById(topology, n.masterId) : undefined;
      return {
        state: 'stale',
        reason: `${step.addr} now replicates ${describeNode(other, n.masterId ?? '?')} instead`,
      };
    }
    if (n.slots.length > 0) return { state: 'stale', reason: `${step.addr} now serves slots as a master` };
    if ((n.keys ?? 0) > 0) return { state: 'stale', reason: `${step.addr} now holds ${n.keys} keys` };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const n = memberByAddr(ctx.topology, step.addr);
    const auth = await ensureMasterauth(ctx, step.addr);
    if (n?.role === 'replica' && n.masterId === step.masterId)
      return auth
        ? `${auth}; already following, waiting for the link`
        : 'already following; waiting for the link';
    await waitFor(
      ctx,
      `${step.addr} to learn about master ${step.masterId.slice(0, 8)} (gossip)`,
      async () => {
        try {
          await timed(ctx, () => ctx.commander.call(step.addr, ['CLUSTER', 'REPLICATE', step.masterId]));
          return true;
        } catch (err) {
          if (isReply(err, /Unknown node/i)) {
            return false;
          }
          throw failure(err, `CLUSTER REPLICATE on ${step.addr}`);
        }
      },
      { metric: 'gossipWaitMs' },
    );
    return `${step.addr} now replicates ${step.masterId.slice(0, 8)}${auth ? ` (${auth})` : ''}`;
  },

  async waitUntilDone(ctx, step) {
    const master = nodeById(ctx.topology, step.masterId);
    await hintMasterauth(
      ctx,
      waitFor(ctx, `the replication link of ${step.addr} to come up`, async () => {
        const info = await infoOf(ctx, step.addr, 'replication');
        if (info.role !== 'slave' || info.master_link_status !== 'up') return false;
        if (master?.addr && `${info.master_host}:${info.master_port}` !== master.addr) return false;
        return true;
      }),
    );
    return `link up (the wait is Redis's: repl-diskless-sync-delay and the first sync)`;
  },
};
