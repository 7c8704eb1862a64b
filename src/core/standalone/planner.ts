/**
 * Plans for plain master/replica deployments (`mode: 'standalone'`). Pure.
 *
 * - Master gone: promote the replica with the highest offset, repoint the others to it; through
 *   `SENTINEL FAILOVER` when Sentinel is configured, and not at all when Sentinel is detected but unknown
 *   (never fight Sentinel).
 * - Two masters: the one with replicas and data stays, the other follows it (data loss when it holds keys).
 * - A master without persistence: turn AOF on (until the next restart; the chart's values keep it).
 * - Safe restart of a master without persistence: hand over to a replica first, then restart it.
 */
import { ErrorCodes } from '../errors.ts';
import { assemblePlan, type PlanContext } from '../plans/plan.ts';
import type { Addr, Finding, PlanOutcome, Step, Topology } from '../types.ts';
import { analyzeStandalone } from './analyze.ts';
import { chosenReplicaSteps } from './chosen-replica.ts';
import {
  chartPersistenceAdvice,
  enableAofStep,
  handoverStep,
  promoteStep,
  replicaofStep,
  sentinelFailoverStep,
} from './steps.ts';
import {
  bestReplica,
  buildStandaloneView,
  describeStandalone,
  joinAddr,
  replicasOf,
  type StandaloneNode,
  type StandaloneView,
} from './view.ts';

export type StandaloneAction =
  | { kind: 'failover'; node: string }
  | { kind: 'restart'; pod: string }
  | { kind: string; [k: string]: unknown };

function nothing(reason: string): PlanOutcome {
  return { ok: false, code: ErrorCodes.NothingToDo, reason };
}

function refuse(reason: string): PlanOutcome {
  return { ok: false, code: ErrorCodes.PlanRefused, reason };
}

const SENTINEL_UNKNOWN =
  'Sentinel watches these nodes, but the bot does not know where the Sentinels are: it will not promote or repoint replicas behind their back. Add `sentinels` (and `sentinelMaster`) to this cluster definition, or let Sentinel do it.';

/** A plan for the findings of a standalone topology. */
export function planForStandalone(topology: Topology, findings: Finding[], ctx: PlanContext): PlanOutcome {
  const view = buildStandaloneView(topology);
  if (view.nodes.every((n) => !n.reachable)) return nothing('No node of this set answers.');

  if (view.masters.length === 0) return planMasterGone(topology, view, findings, ctx);
  if (view.masters.length > 1) return planSplitBrain(topology, view, findings, ctx);

  // One master: make the data survive its restart.
  const master = view.masters[0]!;
  const followers = replicasOf(view, master.addr);
  if (master.persistent === false && followers.length > 0) {
    const steps: Step[] = [enableAofStep(master, 'master')];
    const title = `Turn on AOF on master ${master.addr} so that its restart no longer empties its ${followers.length} replica${followers.length === 1 ? '' : 's'}`;
    return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
  }
  const open = findings.filter((f) => f.severity !== 'info').map((f) => f.summary);
  return nothing(
    open.length > 0
      ? `No automatic repair for: ${open.join('; ')}`
      : 'The master and its replicas are healthy: nothing to do.',
  );
}

function planMasterGone(
  topology: Topology,
  view: StandaloneView,
  findings: Finding[],
  ctx: PlanContext,
): PlanOutcome {
  if (view.replicas.length === 0) return nothing('No master and no replica answers: nothing to promote.');
  // The master most replicas follow.
  const counts = new Map<Addr, number>();
  for (const r of view.replicas)
    if (r.masterAddr) counts.set(r.masterAddr, (counts.get(r.masterAddr) ?? 0) + 1);
  const former = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!former) return nothing('The replicas name no master: nothing to promote.');

  if (view.sentinel) {
    const s = view.sentinel;
    const inProgress = s.answers.some((a) => a.flags?.includes('failover_in_progress'));
    if (inProgress)
      return nothing(`Sentinel is failing over "${s.masterName}" already: diagnose again in a few seconds.`);
    if (!s.answers.some((a) => a.outcome === 'ok')) {
      return refuse(
        `Sentinel is configured for this set but no Sentinel answers: the bot will not promote a replica behind its back.`,
      );
    }
    const step = sentinelFailoverStep(s, `master ${former} does not answer`);
    return {
      ok: true,
      plan: assemblePlan(
        topology,
        ctx,
        `Fail over "${s.masterName}" through Sentinel (master ${former} is gone)`,
        [step],
        findings,
      ),
    };
  }
  if (view.sentinelDetected) return refuse(SENTINEL_UNKNOWN);

  const candidates = replicasOf(view, former);
  const best = bestReplica(candidates);
  if (!best) return nothing(`No replica of ${former} answers: nothing to promote.`);
  const others = view.replicas.filter((r) => r.addr !== best.addr);
  const steps: Step[] = [promoteStep(best, former, others)];
  for (const r of others) {
    steps.push(replicaofStep(r.addr, best.addr, { label: `replica ${describeStandalone(r)}` }));
  }
  const title = `Promote ${best.addr} (highest offset) in place of ${former}${others.length > 0 ? `, and make ${others.map((o) => o.addr).join(', ')} follow it` : ''}`;
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
}

function planSplitBrain(
  topology: Topology,
  view: StandaloneView,
  findings: Finding[],
  ctx: PlanContext,
): PlanOutcome {
  if (view.sentinelWatched) {
    return nothing(
      view.sentinel
        ? `Sentinel decides which master stays: it turns a returning old master into a replica by itself. Sentinel names ${view.sentinel.masterAddr ?? '?'}; diagnose again in a few seconds.`
        : SENTINEL_UNKNOWN,
    );
  }
  const keeper = [...view.masters].sort(
    (a, b) =>
      b.replicas.length - a.replicas.length ||
      (b.keys ?? 0) - (a.keys ?? 0) ||
      b.offset - a.offset ||
      a.addr.localeCompare(b.addr),
  )[0]!;
  const steps: Step[] = [];
  for (const m of view.masters) {
    if (m === keeper) continue;
    const why =
      (m.keys ?? 0) === 0
        ? `It is an empty master (restarted without its data?) that no replica follows; ${keeper.addr} has ${keeper.keys ?? 0} keys and ${keeper.replicas.length} replica(s).`
        : `${keeper.addr} stays master: it has ${keeper.replicas.length} replica(s) and ${keeper.keys ?? 0} keys.`;
    steps.push(
      replicaofStep(m.addr, keeper.addr, {
        keys: m.keys ?? 0,
        label: `master ${describeStandalone(m)}`,
        note: why,
        ...(m.pod ? { pod: { name: m.pod.name, namespace: m.pod.namespace } } : {}),
      }),
    );
    // Its own replicas follow along through it (chained) until repointed.
    for (const r of replicasOf(view, m.addr)) {
      steps.push(replicaofStep(r.addr, keeper.addr, { label: `replica ${describeStandalone(r)}` }));
    }
  }
  const title = `Keep ${keeper.addr} as the only master: make ${view.masters
    .filter((m) => m !== keeper)
    .map((m) => m.addr)
    .join(', ')} follow it`;
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
}

/** The node an action names: `host:port`, or a pod name. */
function resolve(view: StandaloneView, topology: Topology, ref: string): StandaloneNode | undefined {
  const direct = view.byAddr(ref);
  if (direct) return direct;
  const pod = topology.pods?.find((p) => p.name === ref);
  if (pod?.ip) return view.byAddr(joinAddr(pod.ip, pod.port || 6379));
  return view.nodes.find((n) => n.pod?.name === ref);
}

function known(view: StandaloneView): string {
  return view.nodes
    .filter((n) => n.reachable)
    .map((n) => describeStandalone(n))
    .join(', ');
}

/** `failover <node>` and `restart <pod>` on a standalone set; other sub-commands are cluster-only. */
export function planStandaloneAction(
  topology: Topology,
  action: StandaloneAction,
  ctx: PlanContext,
): PlanOutcome {
  const view = buildStandaloneView(topology);
  if (action.kind !== 'restart' && action.kind !== 'failover')
    return refuse(`These nodes run without cluster mode: \`${action.kind}\` applies to Redis Cluster only.`);
  const ref = String(action.kind === 'restart' ? action.pod : (action as { node?: unknown }).node);
  const node = resolve(view, topology, ref);
  if (!node?.reachable)
    return {
      ok: false,
      code: ErrorCodes.UnknownNode,
      reason: `${ref} is not a node that answers here. Known: ${known(view)}.`,
    };
  return action.kind === 'restart'
    ? planSafeRestart(topology, node.addr, ctx)
    : planHandover(topology, view, node, ctx);
}

function planHandover(
  topology: Topology,
  view: StandaloneView,
  replica: StandaloneNode,
  ctx: PlanContext,
): PlanOutcome {
  if (replica.role !== 'replica')
    return refuse(`${replica.addr} is not a replica: name the replica to promote.`);
  const master = view.byAddr(replica.masterAddr);
  if (!master?.reachable || master.role !== 'master')
    return planForStandalone(topology, analyzeStandalone(topology), ctx);
  if (view.sentinel) {
    const others = replicasOf(view, master.addr).filter((r) => r.addr !== replica.addr);
    const chosen = chosenReplicaSteps(view.sentinel, replica, others);
    if (!chosen.ok) return refuse(chosen.reason);
    const title = `Fail over "${view.sentinel.masterName}" through Sentinel to ${replica.addr}`;
    return { ok: true, plan: assemblePlan(topology, ctx, title, chosen.steps, []) };
  }
  if (view.sentinelDetected) return refuse(SENTINEL_UNKNOWN);
  if (!replica.linkUp)
    return refuse(
      `${replica.addr} has its link to ${master.addr} down: it cannot take over without losing writes.`,
    );
  const steps = handoverSteps(view, master, replica);
  return {
    ok: true,
    plan: assemblePlan(topology, ctx, `Hand master ${master.addr} over to ${replica.addr}`, steps, []),
  };
}

function handoverSteps(view: StandaloneView, master: StandaloneNode, to: StandaloneNode): Step[] {
  // FAILOVER TO must name the replica as the master sees it.
  const line = master.replicaLines.find((l) => joinAddr(l.ip, l.port) === to.addr) ?? undefined;
  const target = line ? joinAddr(line.ip, line.port) : to.addr;
  const steps: Step[] = [handoverStep(to, master, target)];
  for (const r of replicasOf(view, master.addr)) {
    if (r.addr === to.addr) continue;
    steps.push(replicaofStep(r.addr, to.addr, { label: `replica ${describeStandalone(r)}` }));
  }
  return steps;
}

/**
 * Restart a master safely: when it has no persistence and has replicas, hand over to the best replica
 * first, so that it comes back as a replica (empty, harmless) instead of an empty master its replicas copy.
 */
export function planSafeRestart(topology: Topology, addr: Addr, ctx: PlanContext): PlanOutcome {
  const view = buildStandaloneView(topology);
  const node = view.byAddr(addr);
  if (!node?.reachable)
    return { ok: false, code: ErrorCodes.UnknownNode, reason: `${addr} does not answer.` };
  const pod = node.pod ? { name: node.pod.name, namespace: node.pod.namespace } : undefined;
  const restart = (what: string): Step | undefined =>
    pod
      ? {
          kind: 'restart-pod',
          pod: pod.name,
          namespace: pod.namespace,
          risk: 'medium',
          sentence: `Restart pod ${pod.namespace}/${pod.name} (${what}) by deleting it; its StatefulSet starts it again.`,
          commands: [`k8s DELETE pod ${pod.namespace}/${pod.name}`],
        }
      : undefined;

  if (node.role !== 'master') {
    const step = restart(`replica of ${node.masterAddr ?? '?'}: it resyncs from its master`);
    if (!step)
      return refuse(
        `${addr} is a replica and no pod is known for it: restart it yourself, it resyncs from ${node.masterAddr ?? 'its master'}.`,
      );
    return {
      ok: true,
      plan: assemblePlan(topology, ctx, `Restart replica ${describeStandalone(node)}`, [step], []),
    };
  }
  const followers = replicasOf(view, node.addr);
  // AOF or RDB on an emptyDir dies with the pod: restarting the pod is a restart without persistence.
  const emptyDir = node.pod?.dataVolume === 'emptyDir' && node.persistent !== false;
  if (node.persistent !== false && !emptyDir) {
    const step = restart(`master with persistence: it reloads its data`);
    if (!step)
      return refuse(
        `${addr} has persistence and no pod is known for it: restart it yourself; it reloads its data${node.persistent === undefined ? ' (its save policy is unknown: CONFIG GET is not allowed)' : ''}.`,
      );
    return {
      ok: true,
      plan: assemblePlan(topology, ctx, `Restart master ${describeStandalone(node)}`, [step], []),
    };
  }
  if (followers.length === 0) {
    if (emptyDir)
      return refuse(
        `${addr} keeps its data on an emptyDir (${node.pod?.dataMountPath ?? '/data'}) and has no replica: restarting its pod loses its ${node.keys ?? 0} keys, AOF or not. ${chartPersistenceAdvice('master')}`,
      );
    return refuse(
      `${addr} is a master without persistence and without a replica: restarting it loses its ${node.keys ?? 0} keys. Turn AOF on first (\`CONFIG SET appendonly yes\`). ${chartPersistenceAdvice('master')}`,
    );
  }
  if (view.sentinel) {
    const steps: Step[] = [
      sentinelFailoverStep(view.sentinel, `master ${addr} has no persistence and is about to be restarted`),
    ];
    const r = restart('old master: Sentinel makes it a replica of the new master when it is back');
    if (r) steps.push(r);
    return {
      ok: true,
      plan: assemblePlan(topology, ctx, `Fail over through Sentinel, then restart ${addr}`, steps, []),
    };
  }
  if (view.sentinelDetected) return refuse(SENTINEL_UNKNOWN);
  const best = bestReplica(followers.filter((r) => r.linkUp));
  if (!best)
    return refuse(`No replica of ${addr} has its link up: none can take over without losing writes.`);

  const steps = handoverSteps(view, node, best);
  const r = restart('old master, handed over: it comes back empty');
  if (r) {
    steps.push(r);
    steps.push(
      replicaofStep(node.addr, best.addr, {
        ...(pod ? { pod } : {}),
        label: `the old master (pod ${pod!.name})`,
        note: 'Without Sentinel the chart starts that pod as a master again, empty: this makes it a replica before anything copies it.',
      }),
    );
  } else {
    steps.push(
      replicaofStep(node.addr, best.addr, {
        label: `the old master ${node.addr}`,
        note: `No pod is known for ${node.addr}, so the bot cannot restart it: after step 1 it already follows ${best.addr} — restart it yourself once this plan has finished. It comes back as an empty master that no replica follows (harmless); run diagnose then, and the bot proposes this same step to make it a replica again.`,
      }),
    );
  }
  const title = `Safe restart of master ${describeStandalone(node)} (${emptyDir ? 'data on an emptyDir' : 'no persistence'}): hand over to ${best.addr} first${r ? ', then restart it' : ', then restart it yourself'}`;
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, []) };
}
