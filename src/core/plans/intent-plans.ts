/**
 * Plans for sub-commands that name their own action: `failover`, `forget`, `join`, `restart`.
 * Each refuses, with the reason, when the action would be unsafe. Pure.
 */
import { ErrorCodes } from '../errors.ts';
import { planStandaloneAction } from '../standalone/planner.ts';
import { findMovedNodes } from '../topology/moved-nodes.ts';
import { resolveNodeRef } from '../topology/resolve-node.ts';
import type { ClusterNode, FailoverMode, PlanOutcome, Probe, Step, Topology } from '../types.ts';
import { chooseMaster, isHealthyReplica, servingMasters } from './choose-master.ts';
import { answers, isMajorityLost, nodeById, replicationOffset, unreachableRefusal } from './cluster-view.ts';
import {
  assemblePlan,
  describeNode,
  failoverStep,
  forgetStep,
  formatRanges,
  meetStep,
  type PlanContext,
  replicateStep,
  restartPodStep,
} from './plan.ts';

export type PlanAction =
  | { kind: 'failover'; node: string; mode: FailoverMode }
  | { kind: 'forget'; node: string }
  | { kind: 'join'; node: string; replicaOf?: string }
  | { kind: 'restart'; pod: string };

type Resolved =
  | { ok: true; member?: ClusterNode; outsider?: Probe }
  | { ok: false; reason: string; suggestions: string[] };

function refuse(reason: string): PlanOutcome {
  return { ok: false, code: ErrorCodes.PlanRefused, reason };
}

function unknown(r: { reason: string; suggestions: string[] }): PlanOutcome {
  const hint = r.suggestions.length > 0 ? ` Did you mean ${r.suggestions.slice(0, 5).join(', ')}?` : '';
  const reason = /[.?!:]$/.test(r.reason) ? r.reason : `${r.reason}.`;
  return { ok: false, code: ErrorCodes.UnknownNode, reason: `${reason}${hint}` };
}

/**
 * A node id, a unique id prefix (6+), `host:port` or a pod name → a member or an outsider
 * (resolveNodeRef). When an address is both a dead member's and a live outsider's, `prefer` picks.
 */
export function resolveRef(topology: Topology, ref: string, prefer: 'member' | 'live' = 'live'): Resolved {
  const r = resolveNodeRef(topology, ref);
  if (!r.ok) return { ok: false, reason: r.reason, suggestions: r.suggestions };
  const m = r.match;
  if (m.kind === 'member') {
    if (prefer === 'live' && m.addr && !answers(topology, m.node)) {
      const outsider = topology.outsiders.find((o) => o.addr === m.addr);
      if (outsider) return { ok: true, outsider };
    }
    return { ok: true, member: m.node };
  }
  if (m.kind === 'outsider') {
    if (prefer === 'member') {
      const dead = topology.nodes.find((n) => n.addr === m.addr && !answers(topology, n));
      if (dead) return { ok: true, member: dead };
    }
    return { ok: true, outsider: m.probe };
  }
  return {
    ok: false,
    reason: `Pod ${m.pod.name} runs no Redis node we could reach${m.addr ? ` at ${m.addr}` : ''}.`,
    suggestions: [],
  };
}

function sharePrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export function planForAction(topology: Topology, action: PlanAction, ctx: PlanContext): PlanOutcome {
  const blind = unreachableRefusal(topology);
  if (blind) return blind;
  // Plain master/replica deployments: failover / restart have their own plans (issue 10).
  if (topology.mode === 'standalone') return planStandaloneAction(topology, action, ctx);
  switch (action.kind) {
    case 'failover':
      return planFailover(topology, action.node, action.mode, ctx);
    case 'forget':
      return planForget(topology, action.node, ctx);
    case 'join':
      return planJoin(topology, action.node, action.replicaOf, ctx);
    case 'restart':
      return planRestart(topology, action.pod, ctx);
  }
}

function planFailover(topology: Topology, ref: string, mode: FailoverMode, ctx: PlanContext): PlanOutcome {
  const res = resolveRef(topology, ref, 'member');
  if (!res.ok) return unknown(res);
  if (!res.member)
    return refuse(`${res.outsider?.addr} is not part of the cluster: it cannot take over a master.`);
  const n = res.member;
  if (n.role === 'master') {
    const replicas = topology.nodes.filter((r) => r.masterId === n.id).map((r) => r.addr ?? r.id.slice(0, 8));
    const which =
      replicas.length > 0 ? `name one of its replicas (${replicas.join(', ')})` : 'it has no replica';
    return refuse(
      `${describeNode(n)} is a master: CLUSTER FAILOVER runs on the replica that takes its place; ${which}.`,
    );
  }
  if (!answers(topology, n)) return refuse(`${describeNode(n)} does not answer: it cannot take over.`);
  const masterId = n.masterId;
  const master = masterId ? nodeById(topology, masterId) : undefined;
  if (!masterId) return refuse(`${describeNode(n)} follows no master.`);
  const masterUp = Boolean(master && answers(topology, master) && master.health === 'ok');
  if (mode === 'default' && !masterUp) {
    return refuse(
      `The master ${describeNode(master, masterId)} is down: a planned handover needs it. Use \`failover ${ref} force\` (or \`takeover\` when most masters are lost).`,
    );
  }
  if (mode === 'default' && n.replication?.masterLinkStatus === 'down') {
    return refuse(
      `${describeNode(n)} has its replication link down: a planned handover would give up after 5 s. Fix the link or use force.`,
    );
  }
  if (mode === 'force' && isMajorityLost(topology)) {
    return refuse(
      'Most masters are lost: FORCE needs a majority vote and would never win. Use takeover (highest risk, two approvers).',
    );
  }
  const step = failoverStep(n, master, masterId, mode, !masterUp);
  const label = mode === 'default' ? '' : ` (${mode})`;
  return {
    ok: true,
    plan: assemblePlan(
      topology,
      ctx,
      `Fail over ${master?.addr ?? masterId.slice(0, 8)} to ${n.addr}${label}`,
      [step],
      [],
    ),
  };
}

function planForget(topology: Topology, ref: string, ctx: PlanContext): PlanOutcome {
  const res = resolveRef(topology, ref, 'member');
  if (!res.ok) return unknown(res);
  if (!res.member) return refuse(`${res.outsider?.addr} is not part of the cluster: nothing to forget.`);
  const n = res.member;
  const moved = findMovedNodes(topology).find((m) => m.id === n.id);
  if (moved) {
    return refuse(
      `${describeNode(n)} is alive at its new address ${moved.to} (other nodes still list ${moved.from}): forgetting it would throw away its intact data. /redis diagnose re-introduces it at the new address.`,
    );
  }
  if (answers(topology, n)) {
    return refuse(
      `${describeNode(n)} is alive and answering: a running node that is forgotten comes back through gossip after the 60 s ban. Stop it first.`,
    );
  }
  if (n.role === 'master' && n.slots.length > 0) {
    return refuse(
      `${describeNode(n)} still owns slots ${formatRanges(n.slots)}: forgetting it leaves them uncovered. Fail over to one of its replicas first.`,
    );
  }
  const followers = topology.nodes.filter((r) => r.masterId === n.id && answers(topology, r));
  if (followers.length > 0) {
    return refuse(
      `${followers.map((f) => describeNode(f)).join(', ')} still replicate ${describeNode(n)}: a node cannot forget its own master. Make them replicate another master first.`,
    );
  }
  if (n.health === 'ok') {
    return refuse(
      `The cluster still sees ${describeNode(n)} as healthy; only our probe failed. Check the network before forgetting it.`,
    );
  }
  return {
    ok: true,
    plan: assemblePlan(topology, ctx, `Forget ${n.addr ?? n.id.slice(0, 8)}`, [forgetStep(topology, n)], []),
  };
}

function planJoin(
  topology: Topology,
  ref: string,
  replicaOf: string | undefined,
  ctx: PlanContext,
): PlanOutcome {
  const res = resolveRef(topology, ref, 'live');
  if (!res.ok) return unknown(res);
  let addr: string;
  let label: string;
  let k8sNode: string | null;
  let needsMeet = false;
  if (res.outsider) {
    const o = res.outsider;
    if (o.outcome !== 'ok') return refuse(`${o.addr} does not answer (${o.outcome}).`);
    if (o.clusterEnabled === false) return refuse(`${o.addr} runs without cluster mode: it cannot join.`);
    if ((o.keys ?? 0) > 0) {
      return refuse(
        `${o.addr} holds ${o.keys} keys: a replica must start empty, and joining would wipe them.`,
      );
    }
    addr = o.addr;
    label = `${o.addr} (new)`;
    k8sNode = o.pod?.nodeName ?? null;
    needsMeet = true;
  } else {
    const n = res.member!;
    if (!n.addr || !answers(topology, n))
      return refuse(`${describeNode(n)} does not answer: it cannot replicate.`);
    if (n.role === 'master' && n.slots.length > 0) {
      return refuse(
        `${describeNode(n)} is a master serving slots ${formatRanges(n.slots)}: it cannot become a replica.`,
      );
    }
    if (n.role === 'master' && (n.keys ?? 0) > 0) {
      return refuse(`${describeNode(n)} holds ${n.keys} keys: a replica must start empty.`);
    }
    addr = n.addr;
    label = describeNode(n);
    k8sNode = n.pod?.nodeName ?? null;
  }

  let master: ClusterNode | undefined;
  let why = '';
  if (replicaOf) {
    const m = resolveRef(topology, replicaOf, 'member');
    if (!m.ok) return unknown(m);
    if (!m.member)
      return refuse(`${m.outsider?.addr} is not part of the cluster: it cannot be a master to follow.`);
    master = m.member;
    if (master.role !== 'master') {
      const its = master.masterId ? nodeById(topology, master.masterId) : undefined;
      return refuse(
        `${describeNode(master)} is itself a replica${its ? ` (of ${describeNode(its)}); name its master instead` : ''}: replicas of replicas are not allowed in a cluster.`,
      );
    }
    if (master.slots.length === 0)
      return refuse(`${describeNode(master)} serves no slots: replicate a master that does.`);
    if (!answers(topology, master) || master.health !== 'ok')
      return refuse(`${describeNode(master)} is not healthy.`);
    if (res.member && res.member.id === master.id) return refuse('A node cannot replicate itself.');
    if (res.member?.role === 'replica' && res.member.masterId === master.id) {
      return {
        ok: false,
        code: ErrorCodes.NothingToDo,
        reason: `${label} already replicates ${describeNode(master)}.`,
      };
    }
  } else {
    if (res.member?.role === 'replica') {
      return {
        ok: false,
        code: ErrorCodes.NothingToDo,
        reason: `${label} is already a replica; name the master with \`replica-of\` to move it.`,
      };
    }
    const choice = chooseMaster(servingMasters(topology), k8sNode);
    if (!choice) return refuse('No healthy master serves slots: there is nothing to replicate.');
    master = nodeById(topology, choice.id)!;
    why = ` (chosen because ${choice.reason})`;
  }
  const steps: Step[] = [];
  if (needsMeet) steps.push(meetStep(topology, addr, label));
  const rep = replicateStep(addr, master, label);
  if (rep.kind === 'replicate' && res.member?.role === 'replica' && res.member.masterId) {
    rep.fromMasterId = res.member.masterId;
    rep.sentence = rep.sentence.replace('Make ', 'Move ').replace(' a replica of ', ' to replicate ');
  }
  if (why) rep.sentence = `${rep.sentence.replace(/\.$/, '')}${why}.`;
  steps.push(rep);
  return {
    ok: true,
    plan: assemblePlan(
      topology,
      ctx,
      `Join ${addr} as replica of ${master.addr ?? master.id.slice(0, 8)}`,
      steps,
      [],
    ),
  };
}

function planRestart(topology: Topology, podName: string, ctx: PlanContext): PlanOutcome {
  const pods = [
    ...(topology.pods ?? []),
    ...topology.nodes.flatMap((n) => (n.pod ? [n.pod] : [])),
    ...topology.outsiders.flatMap((o) => (o.pod ? [o.pod] : [])),
  ];
  const pod = pods.find((p) => p.name === podName.trim());
  if (!pod && topology.pods === undefined && !topology.podError && pods.length === 0) {
    // No pod list at all: this cluster is not looked after through Kubernetes.
    return refuse(
      `Cannot restart "${podName}": Kubernetes is not enabled for cluster ${topology.cluster} (set K8S_ENABLED=true, or a namespace in CLUSTERS_FILE). Restart the node yourself; \`/redis failover\` first if it is a master.`,
    );
  }
  if (!pod) {
    const names = [...new Set(pods.map((p) => p.name))];
    const close = names.filter((n) => sharePrefix(n, podName) >= 4);
    const why = topology.podError ? ` (pods could not be read: ${topology.podError})` : '';
    return {
      ok: false,
      code: ErrorCodes.UnknownNode,
      reason: `No pod "${podName}" known for cluster ${topology.cluster}${why}.${close.length ? ` Did you mean ${close.slice(0, 5).join(', ')}?` : ''}`,
    };
  }
  const node =
    topology.nodes.find((n) => n.pod?.name === pod.name) ??
    (pod.ip ? topology.nodes.find((n) => n.addr === `${pod.ip}:${pod.port}`) : undefined);
  const steps: Step[] = [];
  if (node && node.role === 'master' && node.slots.length > 0 && answers(topology, node)) {
    const replicas = topology.nodes.filter((r) => r.masterId === node.id && isHealthyReplica(r));
    const best = [...replicas].sort((a, b) => replicationOffset(b) - replicationOffset(a))[0];
    if (best) {
      // Hand the slots over first: a master restarted without persistence wipes its replicas (write-up 004).
      steps.push(failoverStep(best, node, node.id, 'default'));
    } else {
      const p = node.persistence;
      const noPersistence = p && !p.aofEnabled && p.saveConfig === '';
      if (noPersistence) {
        return refuse(
          `${describeNode(node)} is a master without persistence and without a replica: restarting it empties slots ${formatRanges(node.slots)}.`,
        );
      }
      // AOF on an emptyDir dies with the pod (write-up 004, part 1).
      if (node.pod?.dataVolume === 'emptyDir') {
        return refuse(
          `${describeNode(node)} keeps its data on an emptyDir (${node.pod.dataMountPath ?? '/data'}) and has no replica: restarting its pod empties slots ${formatRanges(node.slots)}, AOF or not.`,
        );
      }
      const step = restartPodStep(
        pod.name,
        pod.namespace,
        `master of ${formatRanges(node.slots)} without replica`,
      );
      step.risk = 'high';
      step.sentence = `${step.sentence} Its slots are down until it is back.`;
      steps.push(step);
      return { ok: true, plan: assemblePlan(topology, ctx, `Restart pod ${pod.name}`, steps, []) };
    }
  }
  const what = node ? `${node.role} ${node.addr ?? node.id.slice(0, 8)}` : 'not a cluster member';
  steps.push(restartPodStep(pod.name, pod.namespace, what));
  return { ok: true, plan: assemblePlan(topology, ctx, `Restart pod ${pod.name}`, steps, []) };
}
