/**
 * `failover`: CLUSTER FAILOVER [FORCE|TAKEOVER] on the replica. Redis answers OK at once, then gives a
 * manual failover 5 s (CLUSTER_MF_TIMEOUT) to finish and silently drops it if the replica could not catch
 * up or win the votes in time (a master stalled by a fork or a slow command, a busy host). So we poll for
 * the new role within that window, ask again (up to three times) while the replica still follows the same
 * master, and then say plainly that Redis kept giving up. Then every node must see the slots served by the
 * new master, with a deadline.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, describeNode, nodeById } from '../../core/plans/index.ts';
import type { FailoverMode, NodeView } from '../../core/types.ts';
import { clusterNodesOf, failure, liveMembers, timed, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

/** Redis drops a manual failover after 5 s; this leaves room for the election and a busy host. */
export const MANUAL_FAILOVER_WINDOW_MS = 8_000;
/** Times CLUSTER FAILOVER is sent before the step fails. */
export const FAILOVER_ATTEMPTS = 3;

function failoverArgs(mode: FailoverMode): string[] {
  return mode === 'default' ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', mode.toUpperCase()];
}

async function sendFailover(ctx: StepContext, addr: string, mode: FailoverMode): Promise<string> {
  const args = failoverArgs(mode);
  try {
    await timed(ctx, () => ctx.commander.call(addr, args));
  } catch (err) {
    throw failure(err, `${args.join(' ')} on ${addr}`);
  }
  return args.join(' ');
}

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
    return `${step.addr} accepted ${await sendFailover(ctx, step.addr, step.mode)}`;
  },

  async waitUntilDone(ctx, step) {
    const isNewMaster = (views: NodeView[]) =>
      views.some((v) => v.id === step.replicaId && v.flags.includes('master') && v.slots.length > 0);
    const promoted = async () => {
      const role = (await ctx.commander.call(step.addr, ['ROLE'])) as unknown[];
      if (role[0] !== 'master') return false;
      return isNewMaster(await clusterNodesOf(ctx, step.addr));
    };
    const master = nodeById(ctx.topology, step.masterId);
    const command = failoverArgs(step.mode).join(' ');
    const window = Math.min(MANUAL_FAILOVER_WINDOW_MS, ctx.waitTimeoutMs);
    let asked = 1;
    for (;;) {
      try {
        await waitFor(ctx, `${step.addr} to become master`, promoted, { timeoutMs: window });
        break;
      } catch (err) {
        if (!(err instanceof CodedError) || err.code !== ErrorCodes.StepTimeout) throw err;
        // Still a replica of the same master? Then Redis dropped the attempt: ask again. Anything else is not ours to push.
        const self = (await clusterNodesOf(ctx, step.addr)).find((v) => v.flags.includes('myself'));
        const isReplica = !self?.flags.includes('master');
        if (isReplica && self?.masterId !== step.masterId) {
          const now = self?.masterId ? nodeById(ctx.topology, self.masterId) : undefined;
          throw new CodedError(
            ErrorCodes.StepFailed,
            `${step.addr} now follows ${describeNode(now, self?.masterId ?? '?')}, not ${describeNode(master, step.masterId)}: not asking Redis again`,
            { transient: false },
          );
        }
        if (isReplica && asked < FAILOVER_ATTEMPTS) {
          asked++;
          ctx.note(
            `Redis dropped ${command} on ${step.addr} after its 5 s window (the replica did not catch up or win the vote in time); asking again (${asked} of ${FAILOVER_ATTEMPTS})`,
          );
          await sendFailover(ctx, step.addr, step.mode);
          continue;
        }
        if (!isReplica) {
          // Promoted, but its own view does not show the slots yet: give gossip the rest of the deadline.
          await waitFor(ctx, `${step.addr} to see itself serving the slots`, promoted, {
            timeoutMs: Math.max(ctx.waitTimeoutMs - window, 1000),
          });
          break;
        }
        throw new CodedError(
          ErrorCodes.StepFailed,
          `Redis dropped ${command} on ${step.addr} ${asked} times: the replica did not catch up with ${describeNode(master, step.masterId)} or did not win the vote within Redis's 5 s window. Nothing changed: the old master still serves its slots. Look for what stalls the master (a fork, a slow command, a busy host: its log and SLOWLOG say), then /redis diagnose again${step.mode === 'default' ? '; if the master is failing, /redis failover <replica> force' : ''}`,
          { transient: false, attempts: asked },
        );
      }
    }
    const others = liveMembers(ctx.topology, [step.addr]).filter((n) => n.id !== step.masterId);
    await waitFor(ctx, `every node to see the slots served by ${step.addr}`, async () => {
      const views = await Promise.all(others.map((n) => clusterNodesOf(ctx, n.addr!)));
      return views.every(isNewMaster);
    });
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
