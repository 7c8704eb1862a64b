/**
 * `failover`: CLUSTER FAILOVER [FORCE|TAKEOVER] on the replica. Redis answers OK at once and a default
 * failover gives up by itself after 5 s: we poll until the roles changed and every node sees the slots
 * served by the new master, with a deadline.
 */
import { answers, describeNode, nodeById } from '../../core/plans/index.ts';
import type { NodeView } from '../../core/types.ts';
import { clusterNodesOf, failure, liveMembers, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const failoverHandler: StepHandlerFor<'failover'> = {
  check(topology, step) {
    const replica = nodeById(topology, step.replicaId);
    const master = nodeById(topology, step.masterId);
    if (replica && replica.role === 'master' && replica.slots.length > 0 && answers(topology, replica)) {
      return { state: 'done', detail: `${describeNode(replica)} is already a master serving slots` };
    }
    if (!replica || !answers(topology, replica)) {
      return { state: 'stale', reason: `${describeNode(replica, step.replicaId)} does not answer any more` };
    }
    if (replica.role !== 'replica')
      return { state: 'stale', reason: `${describeNode(replica)} is now an empty master` };
    if (replica.masterId !== step.masterId) {
      const other = replica.masterId ? nodeById(topology, replica.masterId) : undefined;
      return {
        state: 'stale',
        reason: `${describeNode(replica)} now replicates ${describeNode(other, replica.masterId ?? '?')}, not ${describeNode(master, step.masterId)}`,
      };
    }
    const masterUp = Boolean(master && answers(topology, master) && master.health === 'ok');
    if (step.whenMasterDown && masterUp) {
      return {
        state: 'stale',
        reason: `master ${describeNode(master)} is back and healthy: the failover planned while it was down is no longer needed`,
      };
    }
    if (step.mode === 'default' && !masterUp) {
      return {
        state: 'stale',
        reason: `master ${describeNode(master, step.masterId)} is down: a planned handover needs it`,
      };
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const args =
      step.mode === 'default' ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', step.mode.toUpperCase()];
    try {
      await timed(ctx, () => ctx.commander.call(step.addr, args));
    } catch (err) {
      throw failure(err, `${args.join(' ')} on ${step.addr}`);
    }
    return `${step.addr} accepted ${args.join(' ')}`;
  },

  async waitUntilDone(ctx, step) {
    const isNewMaster = (views: NodeView[]) =>
      views.some((v) => v.id === step.replicaId && v.flags.includes('master') && v.slots.length > 0);
    await waitFor(ctx, `${step.addr} to become master`, async () => {
      const role = (await ctx.commander.call(step.addr, ['ROLE'])) as unknown[];
      if (role[0] !== 'master') return false;
      return isNewMaster(await clusterNodesOf(ctx, step.addr));
    });
    const others = liveMembers(ctx.topology, [step.addr]).filter((n) => n.id !== step.masterId);
    await waitFor(ctx, `every node to see the slots served by ${step.addr}`, async () => {
      const views = await Promise.all(others.map((n) => clusterNodesOf(ctx, n.addr!)));
      return views.every(isNewMaster);
    });
    const master = nodeById(ctx.topology, step.masterId);
    if (step.mode === 'default' && master?.addr && answers(ctx.topology, master)) {
      // The old master turns into a replica of the new one.
      await waitFor(ctx, `${master.addr} to follow ${step.addr}`, async () => {
        const role = (await ctx.commander.call(master.addr!, ['ROLE'])) as unknown[];
        return role[0] === 'slave';
      });
    }
    return `${step.addr} is master and every node sees its slots`;
  },
};
