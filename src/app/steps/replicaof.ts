/**
 * `replicaof` (standalone): `REPLICAOF host port` on a node, then wait until its link to that master is up.
 * Done when it already follows that master with its link up. Stale when the master does not answer as a
 * master, when an empty node planned to follow now holds keys, or when Sentinel watches the set.
 * With `pod`, the node's address is the pod's current one (a recreated pod has a new IP).
 */
import { unreachableText } from '../../core/standalone/analyze.ts';
import { splitHostPort } from '../../core/standalone/steps.ts';
import { buildStandaloneView, joinAddr } from '../../core/standalone/view.ts';
import type { Step, Topology } from '../../core/types.ts';
import { sentinelWatchedReason } from './promote.ts';
import { ensureMasterauth, failure, hintMasterauth, infoOf, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

type ReplicaofStep = Extract<Step, { kind: 'replicaof' }>;

/** Where the node is now: the pod's current address when the step names a pod we can see. */
export function currentAddr(topology: Topology, step: ReplicaofStep): string {
  if (!step.pod) return step.addr;
  const pod = topology.pods?.find((p) => p.name === step.pod!.name && p.namespace === step.pod!.namespace);
  return pod?.ip ? joinAddr(pod.ip, pod.port || 6379) : step.addr;
}

export const replicaofHandler: StepHandlerFor<'replicaof'> = {
  check(topology, step) {
    const view = buildStandaloneView(topology);
    const addr = currentAddr(topology, step);
    const node = view.byAddr(addr);
    const master = view.byAddr(step.masterAddr);
    if (!node?.reachable) return { state: 'stale', reason: `${addr} ${unreachableText(node)}` };
    if (
      node.role === 'replica' &&
      node.masterAddr === master?.addr &&
      node.linkUp &&
      master?.role === 'master'
    ) {
      return { state: 'done', detail: `${addr} already follows ${step.masterAddr} with its link up` };
    }
    if (view.sentinelWatched) return { state: 'stale', reason: sentinelWatchedReason };
    if (!master?.reachable || master.role !== 'master') {
      return {
        state: 'stale',
        reason: `${step.masterAddr} is not a master that answers (${master?.reachable ? `role ${master.role}` : unreachableText(master)})`,
      };
    }
    if (step.expectEmpty && node.role === 'master' && (node.keys ?? 0) > 0) {
      return {
        state: 'stale',
        reason: `${addr} now holds ${node.keys} keys as a master: making it a replica would drop them (plan again)`,
      };
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const addr = currentAddr(ctx.topology, step);
    const { host, port } = splitHostPort(step.masterAddr);
    const auth = await ensureMasterauth(ctx, addr);
    try {
      await timed(ctx, () => ctx.commander.call(addr, ['REPLICAOF', host, port]));
    } catch (err) {
      throw failure(err, `REPLICAOF ${host} ${port} on ${addr}`);
    }
    return `${addr} accepted REPLICAOF ${host} ${port}${auth ? ` (${auth})` : ''}`;
  },

  async waitUntilDone(ctx, step) {
    const addr = currentAddr(ctx.topology, step);
    const { host, port } = splitHostPort(step.masterAddr);
    await hintMasterauth(
      ctx,
      waitFor(ctx, `${addr} to have its link to ${step.masterAddr} up`, async () => {
        const info = await infoOf(ctx, addr, 'replication');
        return (
          info.role === 'slave' &&
          info.master_host === host &&
          Number(info.master_port) === port &&
          info.master_link_status === 'up'
        );
      }),
    );
    return `${addr} follows ${step.masterAddr} with its link up`;
  },
};
