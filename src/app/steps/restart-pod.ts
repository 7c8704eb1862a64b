/**
 * `restart-pod`: delete the pod through Kubernetes, then wait until its StatefulSet has recreated it (a new
 * pod object under the same name), it is Running with an IP, and its Redis answers PING. It is not waited
 * ready: a fresh cluster node alone fails Bitnami's readiness (`cluster_state:fail`) until it is joined,
 * which is the next plan's job. Refused when the pod's node is the only holder of some slots.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers } from '../../core/plans/cluster-view.ts';
import { describeNode, formatRanges } from '../../core/plans/plan.ts';
import type { PodApi } from '../../core/ports.ts';
import type { ClusterNode, PodInfo, Step, Topology } from '../../core/types.ts';
import { timed, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

type RestartStep = Extract<Step, { kind: 'restart-pod' }>;

function podAddr(pod: PodInfo): string | null {
  return pod.ip ? `${pod.ip.includes(':') ? `[${pod.ip}]` : pod.ip}:${pod.port || 6379}` : null;
}

function findPod(topology: Topology, step: RestartStep): PodInfo | undefined {
  return topology.pods?.find((p) => p.name === step.pod && p.namespace === step.namespace);
}

/** The cluster member running in that pod (by the pod's address, or the pod attached to the node). */
function memberOfPod(topology: Topology, pod: PodInfo): ClusterNode | undefined {
  const addr = podAddr(pod);
  return topology.nodes.find(
    (n) =>
      n.health !== 'handshake' &&
      ((addr && n.addr === addr) || (n.pod?.name === pod.name && n.pod.namespace === pod.namespace)),
  );
}

/** A replica that could take over its master's slots: it answers, is healthy, and its link is up. */
function healthyReplicasOf(topology: Topology, master: ClusterNode): ClusterNode[] {
  return topology.nodes.filter(
    (r) =>
      r.role === 'replica' &&
      r.masterId === master.id &&
      answers(topology, r) &&
      r.health === 'ok' &&
      r.replication?.masterLinkStatus !== 'down' &&
      !r.flags.includes('nofailover'),
  );
}

export const restartPodHandler: StepHandlerFor<'restart-pod'> = {
  check(topology, step, plan) {
    const name = `pod ${step.namespace}/${step.pod}`;
    if (topology.podError) {
      return {
        state: 'stale',
        reason: `cannot see the pods, so will not restart ${name}: ${topology.podError}`,
      };
    }
    if (!topology.pods)
      return { state: 'stale', reason: `no Kubernetes pods are known for cluster ${topology.cluster}` };
    const pod = findPod(topology, step);
    if (!pod) return { state: 'stale', reason: `${name} no longer exists` };
    // Idempotency: a pod object created after the plan is the restarted one (a worker died after the delete).
    if (plan && pod.createdAt !== undefined && pod.createdAt > plan.createdAt) {
      const addr = podAddr(pod);
      if (
        pod.phase === 'Running' &&
        addr &&
        topology.probes.some((p) => p.addr === addr && p.outcome === 'ok')
      ) {
        return { state: 'done', detail: `${name} was already recreated (${addr}) and answers` };
      }
    }
    const node = memberOfPod(topology, pod);
    if (node && node.role === 'master' && node.slots.length > 0 && answers(topology, node)) {
      const replicas = healthyReplicasOf(topology, node);
      if (replicas.length === 0) {
        return {
          state: 'stale',
          reason: `${name} runs master ${describeNode(node)}, the only holder of slots ${formatRanges(node.slots)} (no healthy replica): restarting it would leave them unserved. Add or repair a replica and fail over first`,
        };
      }
    }
    return { state: 'ready' };
  },

  async act(ctx, step) {
    const api = podApiOf(ctx);
    const before = findPod(ctx.topology, step);
    await timed(
      ctx,
      async () => {
        try {
          await api.deletePod(step.namespace, step.pod);
        } catch (err) {
          if (err instanceof CodedError && err.details?.status === 404) {
            // Deleted meanwhile (by someone, or by the controller): the wait below sees the new pod.
            return;
          }
          throw err;
        }
      },
      'k8sMs',
    );
    const was = before ? podAddr(before) : null;
    const node = before ? memberOfPod(ctx.topology, before) : undefined;
    return `deleted pod ${step.namespace}/${step.pod}${was ? ` (was ${was}${node ? `, node ${node.id.slice(0, 8)}` : ''})` : ''}`;
  },

  async waitUntilDone(ctx, step) {
    const api = podApiOf(ctx);
    const before = findPod(ctx.topology, step);
    const name = `pod ${step.namespace}/${step.pod}`;
    const recreated = await waitFor(
      ctx,
      `Kubernetes to recreate ${name} and start it (Running, with an IP)`,
      async () => {
        const pod = await readPod(api, step);
        if (!pod) return false;
        if (before?.uid && pod.uid === before.uid) return false; // still the old pod (terminating)
        if (!before?.uid && before?.createdAt !== undefined && pod.createdAt === before.createdAt)
          return false;
        if (pod.phase !== 'Running' || !pod.ip) return false;
        return pod;
      },
      { metric: 'k8sWaitMs' },
    );
    const addr = podAddr(recreated)!;
    const myId = await waitFor(ctx, `Redis in ${name} (${addr}) to answer PING`, async () => {
      const pong = await ctx.commander.call(addr, ['PING']);
      if (String(pong) !== 'PONG') return false;
      try {
        return String(await ctx.commander.call(addr, ['CLUSTER', 'MYID']));
      } catch {
        return ''; // not a cluster node, or CLUSTER not allowed: PING is what we promised
      }
    });
    const previous = before ? memberOfPod(ctx.topology, before) : undefined;
    const newId =
      myId && previous && myId !== previous.id
        ? ` as a new node ${myId.slice(0, 8)} (was ${previous.id.slice(0, 8)})`
        : '';
    const ready = recreated.ready
      ? 'ready'
      : `not ready yet${recreated.notReadyReason ? `: ${recreated.notReadyReason}` : ''}`;
    return `${name} is back at ${addr}${newId}, Running and answering PING (${ready})`;
  },
};

function podApiOf(ctx: StepContext): PodApi {
  if (!ctx.pods) {
    throw new CodedError(
      ErrorCodes.K8sError,
      'restarting a pod needs the Kubernetes API, and none is configured (K8S_ENABLED)',
      {
        transient: false,
      },
    );
  }
  return ctx.pods;
}

/** The pod by name: `getPod` when the API has it, else the StatefulSet's per-pod label. */
async function readPod(api: PodApi, step: RestartStep): Promise<PodInfo | null> {
  if (api.getPod) return api.getPod(step.namespace, step.pod);
  const list = await api.listPods(step.namespace, `statefulset.kubernetes.io/pod-name=${step.pod}`);
  return list.find((p) => p.name === step.pod) ?? null;
}
