import { analyzeStandalone } from '../standalone/analyze.ts';
import type {
  Addr,
  ClusterNode,
  Finding,
  NodeId,
  PodInfo,
  Probe,
  ReplicationInfo,
  Severity,
  Topology,
} from '../types.ts';
import { findMovedNodes, movedNodesFinding } from './moved-nodes.ts';
import { emptyDirRisk } from './persistence.ts';
import { countSlots, formatSlotRanges, uncoveredSlots } from './slots.ts';
import { findStrayKeys } from './stray-keys.ts';

/** Without the node's `cluster-node-timeout` × `cluster-replica-validity-factor`, a link down this long is suspect. */
export const DEFAULT_MAX_LINK_DOWN_SECONDS = 10;
/** A replica whose last ack is older than this is lagging. */
export const DEFAULT_MAX_LAG_SECONDS = 10;
/** A replica this many bytes behind its master is lagging. */
export const DEFAULT_MAX_OFFSET_GAP = 64 * 1024 * 1024;

export interface AnalyzeOptions {
  maxLinkDownSeconds?: number;
  maxLagSeconds?: number;
  maxOffsetGap?: number;
}

/** Finding codes, stable: planners and renderers switch on them. */
export const FindingCodes = {
  NodeFailed: 'node-failed',
  NodePfail: 'node-pfail',
  NodeUnreachable: 'node-unreachable',
  NodeHandshake: 'node-handshake',
  NodeNoaddr: 'node-noaddr',
  MasterOrphaned: 'master-orphaned',
  ReplicasUnhealthy: 'replicas-unhealthy',
  SlotsUncovered: 'slots-uncovered',
  SlotsOnFailedMaster: 'slots-on-failed-master',
  SlotsOpen: 'slots-open',
  SlotOwnerDisagreement: 'slot-owner-disagreement',
  RoleDisagreement: 'role-disagreement',
  ConfigEpochDisagreement: 'config-epoch-disagreement',
  ConfigEpochCollision: 'config-epoch-collision',
  NodeOutsideCluster: 'node-outside-cluster',
  ReplicaLinkDown: 'replica-link-down',
  ReplicaLagging: 'replica-lagging',
  ReplicaNeverSynced: 'replica-never-synced',
  ReplicaCannotFailover: 'replica-cannot-failover',
  MasterNoPersistence: 'master-no-persistence',
  ClusterStateFail: 'cluster-state-fail',
  PodNotInCluster: 'pod-not-in-cluster',
  PodNotReady: 'pod-not-ready',
  ShardSameK8sNode: 'shard-same-k8s-node',
  K8sApiError: 'k8s-api-error',
  ClusterUnreachable: 'cluster-unreachable',
  AuthFailed: 'auth-failed',
  NodeNewAddress: 'node-new-address',
} as const;
export type FindingCode = (typeof FindingCodes)[keyof typeof FindingCodes];

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** `10.0.0.1:6379 (3d0c9901)`, plus the pod name when known. */
export function nodeLabel(node: Pick<ClusterNode, 'id' | 'addr' | 'pod'>): string {
  const pod = node.pod ? ` [pod ${node.pod.name}]` : '';
  return `${node.addr ?? 'noaddr'} (${node.id.slice(0, 8)})${pod}`;
}

function slotsText(ranges: ClusterNode['slots']): string {
  const n = countSlots(ranges);
  return `slots ${formatSlotRanges(ranges)} (${n} slot${n === 1 ? '' : 's'})`;
}

/**
 * Everything wrong with a cluster, as data: one finding per problem, each with the nodes concerned and the
 * evidence (which node said what). Sorted critical → warning → info; a healthy cluster gives [].
 */
/**
 * A replica whose link to its master was never up: it holds no copy of the data. Redis prints
 * master_link_down_since_seconds:-1 only in that case; an idle replica that synced at offset 0 prints a real
 * number. Offsets decide only when the field is absent.
 */
export function replicaNeverSynced(repl: ReplicationInfo | undefined): boolean {
  if (repl === undefined || repl.masterLinkStatus !== 'down') return false;
  return repl.masterLinkDownSinceSeconds !== undefined
    ? repl.masterLinkDownSinceSeconds < 0
    : (repl.slaveReplOffset ?? 0) <= 0 && repl.masterReplOffset <= 0;
}

export function analyzeTopology(topology: Topology, opts: AnalyzeOptions = {}): Finding[] {
  if (topology.mode === 'standalone') {
    // Plain master/replica deployments have their own findings (src/core/standalone, issue 10).
    const standalone = analyzeStandalone(topology, {
      ...(opts.maxOffsetGap !== undefined ? { maxOffsetGap: opts.maxOffsetGap } : {}),
      ...(opts.maxLagSeconds !== undefined ? { maxLagSeconds: opts.maxLagSeconds } : {}),
    });
    return sortFindings(topology.podError ? [...standalone, k8sApiError(topology.podError)] : standalone);
  }
  if (topology.mode !== 'cluster') return topology.podError ? [k8sApiError(topology.podError)] : [];
  // Nobody answered: say that, not "16384 slots have no owner", which would be a guess about a cluster we never saw.
  if (topology.probes.length > 0 && !topology.probes.some((p) => p.outcome === 'ok')) {
    // They answer, but not to us: that is a credentials problem, not a network one.
    const refused = topology.probes.filter((p) => p.authFailed);
    if (refused.length > 0) {
      const f = authFailedFinding(topology, refused, true);
      return sortFindings(topology.podError ? [f, k8sApiError(topology.podError)] : [f]);
    }
    const unreachable: Finding = {
      code: FindingCodes.ClusterUnreachable,
      severity: 'critical',
      summary: `no node answered (${topology.probes.length} address${topology.probes.length === 1 ? '' : 'es'} asked): the cluster's state is unknown${topology.probes.length === 1 && !topology.pods ? '. Only one seed is known: list several nodes in REDIS_CLUSTER_NODES (or seeds in CLUSTERS_FILE), so one dead node does not hide the cluster' : ''}`,
      nodes: [],
      addrs: topology.probes.map((p) => p.addr),
      evidence: topology.probes.map((p) => `${p.addr}: ${p.outcome}${p.error ? ` (${p.error})` : ''}`),
    };
    return sortFindings(topology.podError ? [unreachable, k8sApiError(topology.podError)] : [unreachable]);
  }
  const maxLinkDown = opts.maxLinkDownSeconds ?? DEFAULT_MAX_LINK_DOWN_SECONDS;
  const maxLag = opts.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS;
  const maxGap = opts.maxOffsetGap ?? DEFAULT_MAX_OFFSET_GAP;

  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const byId = new Map<NodeId, ClusterNode>();
  for (const n of topology.nodes) byId.set(n.id, n);
  const observerAddr = (id: NodeId) => byId.get(id)?.addr ?? id.slice(0, 8);
  const replicasOf = new Map<NodeId, ClusterNode[]>();
  for (const n of topology.nodes) {
    if (n.role !== 'replica' || !n.masterId) continue;
    const list = replicasOf.get(n.masterId);
    if (list) list.push(n);
    else replicasOf.set(n.masterId, [n]);
  }
  const probeByAddr = new Map<Addr, Probe>();
  for (const p of topology.probes)
    if (!probeByAddr.has(p.addr) || p.outcome !== 'ok') probeByAddr.set(p.addr, p);
  const probeFor = (n: ClusterNode) => (n.addr ? probeByAddr.get(n.addr) : undefined);
  const servesSlots = (n: ClusterNode) => n.role === 'master' && n.slots.length > 0;
  // Without a majority of masters nobody can mark a dead node `fail`: a pfail node we cannot reach is down too.
  const isDown = (n: ClusterNode) => n.health === 'fail' || (n.health === 'pfail' && !n.reachable);

  // Node states.
  for (const n of topology.nodes) {
    const who = nodeLabel(n);
    if (n.health === 'fail') {
      add({
        code: FindingCodes.NodeFailed,
        severity: servesSlots(n) ? 'critical' : 'warning',
        summary: servesSlots(n)
          ? `${n.role} ${who} is marked failed and still holds ${slotsText(n.slots)}`
          : `${n.role} ${who} is marked failed by ${n.failReportedBy.length} node${n.failReportedBy.length === 1 ? '' : 's'}${n.role === 'master' ? ': a ghost to forget' : ''}`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: n.failReportedBy.map((o) => `${observerAddr(o)} says fail`),
      });
    } else if (n.health === 'pfail') {
      add({
        code: FindingCodes.NodePfail,
        severity: 'warning',
        summary: `${n.role} ${who} is suspected down (fail?) by ${n.pfailReportedBy.length} node${n.pfailReportedBy.length === 1 ? '' : 's'}`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: n.pfailReportedBy.map((o) => `${observerAddr(o)} says fail?`),
      });
    } else if (n.health === 'unreachable') {
      const p = probeFor(n);
      const how =
        p?.outcome === 'ok'
          ? `answers as another node (${(p.myId ?? '?').slice(0, 8)})`
          : p?.authFailed
            ? 'refused our credentials (authentication failed)'
            : p?.outcome === 'refused'
              ? 'refused our connection'
              : p?.outcome === 'timeout'
                ? `did not answer within ${p.ms} ms`
                : `answered an error${p?.error ? `: ${p.error}` : ''}`;
      add({
        code: FindingCodes.NodeUnreachable,
        severity: servesSlots(n) ? 'critical' : 'warning',
        summary: `${n.role} ${who} ${how}, though the cluster does not mark it failed`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: [`our probe of ${n.addr}: ${p?.outcome ?? 'not asked'}${p?.error ? ` (${p.error})` : ''}`],
      });
    } else if (n.health === 'handshake') {
      add({
        code: FindingCodes.NodeHandshake,
        severity: 'info',
        summary: `${who} is in handshake: a temporary id that is met now or expires on its own`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: [`flags ${n.flags.join(',')}`],
      });
    } else if (n.health === 'noaddr') {
      add({
        code: FindingCodes.NodeNoaddr,
        severity: 'warning',
        summary: `${who} has no address (noaddr): its IP now answers with another node id`,
        nodes: [n.id],
        evidence: [`flags ${n.flags.join(',')}`],
      });
    }
  }

  // Slots.
  const masters = topology.nodes.filter((n) => n.role === 'master');
  const uncovered = uncoveredSlots(masters);
  if (uncovered.length > 0) {
    add({
      code: FindingCodes.SlotsUncovered,
      severity: 'critical',
      summary: `${countSlots(uncovered)} slots have no owner: keys there cannot be read or written`,
      nodes: [],
      evidence: [`${slotsText(uncovered)} are served by no master`],
    });
  }
  for (const m of masters) {
    if (!isDown(m) || m.slots.length === 0) continue;
    const replicas = replicasOf.get(m.id) ?? [];
    const reporters = m.health === 'fail' ? m.failReportedBy : m.pfailReportedBy;
    add({
      code: FindingCodes.SlotsOnFailedMaster,
      severity: 'critical',
      summary: `${slotsText(m.slots)} sit on ${m.health === 'fail' ? 'failed' : 'unreachable (fail?)'} master ${nodeLabel(m)}${replicas.length === 0 ? ', which has no replica to take over' : ''}`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [
        `${slotsText(m.slots)}`,
        ...reporters.map((o) => `${observerAddr(o)} says ${m.health === 'fail' ? 'fail' : 'fail?'}`),
      ],
    });
  }
  for (const n of topology.nodes) {
    if (n.migrating.length === 0 && n.importing.length === 0) continue;
    const peer = (id: NodeId) => (byId.get(id) ? nodeLabel(byId.get(id)!) : id.slice(0, 8));
    add({
      code: FindingCodes.SlotsOpen,
      severity: 'warning',
      summary: `${nodeLabel(n)} has ${n.migrating.length + n.importing.length} open slot${n.migrating.length + n.importing.length === 1 ? '' : 's'} (a resharding stopped half-way?)`,
      nodes: [n.id],
      ...addrs(n.addr),
      evidence: [
        ...n.migrating.map((m) => `slot ${m.slot} migrating to ${peer(m.nodeId)}`),
        ...n.importing.map((m) => `slot ${m.slot} importing from ${peer(m.nodeId)}`),
      ],
    });
  }

  // Disagreements between observers.
  for (const d of topology.disagreements) {
    const evidence = groupSays(d.views);
    if (d.kind === 'slots' || (!d.kind && d.subject.startsWith('owner of slots'))) {
      add({
        code: FindingCodes.SlotOwnerDisagreement,
        severity: 'warning',
        summary: `Nodes disagree about the ${d.subject}`,
        nodes: [],
        evidence,
      });
    } else if (d.kind === 'role') {
      add({
        code: FindingCodes.RoleDisagreement,
        severity: 'warning',
        summary: `Nodes disagree about the ${d.subject}`,
        nodes: d.nodeId ? [d.nodeId] : [],
        evidence,
      });
    } else if (d.kind === 'epoch') {
      add({
        code: FindingCodes.ConfigEpochDisagreement,
        severity: 'info',
        summary: `Nodes disagree about the ${d.subject} (normal for a few seconds after a failover)`,
        nodes: d.nodeId ? [d.nodeId] : [],
        evidence,
      });
    }
  }
  const byEpoch = new Map<number, ClusterNode[]>();
  for (const m of masters) {
    if (m.slots.length === 0 || m.health === 'fail') continue;
    const list = byEpoch.get(m.configEpoch);
    if (list) list.push(m);
    else byEpoch.set(m.configEpoch, [m]);
  }
  for (const [epoch, same] of byEpoch) {
    if (same.length < 2) continue;
    add({
      code: FindingCodes.ConfigEpochCollision,
      severity: 'warning',
      summary: `${same.length} masters share config epoch ${epoch}: slot ownership conflicts cannot be settled`,
      nodes: same.map((m) => m.id),
      evidence: same.map((m) => `${nodeLabel(m)} has config epoch ${epoch} and ${slotsText(m.slots)}`),
    });
  }

  // Masters and their replicas.
  const isHealthyReplica = (r: ClusterNode) =>
    r.health === 'ok' && r.replication?.masterLinkStatus !== 'down';
  for (const m of masters) {
    if (!servesSlots(m) || isDown(m)) continue;
    const replicas = replicasOf.get(m.id) ?? [];
    const healthy = replicas.filter(isHealthyReplica);
    if (healthy.length > 0) continue;
    add({
      code: FindingCodes.MasterOrphaned,
      severity: 'warning',
      summary:
        replicas.length === 0
          ? `master ${nodeLabel(m)} has no replica: losing it loses ${slotsText(m.slots)}`
          : `master ${nodeLabel(m)} has no healthy replica: losing it loses ${slotsText(m.slots)}`,
      nodes: [m.id],
      ...addrs(m.addr),
      evidence: [`#replicas ${replicas.length}`, `${slotsText(m.slots)}`],
    });
    if (replicas.length > 0) {
      add({
        code: FindingCodes.ReplicasUnhealthy,
        severity: 'warning',
        summary: `every replica of master ${nodeLabel(m)} is unhealthy`,
        nodes: [m.id, ...replicas.map((r) => r.id)],
        ...addrs(m.addr),
        evidence: replicas.map((r) => `${nodeLabel(r)}: ${replicaTrouble(r)}`),
      });
    }
  }

  for (const r of topology.nodes) {
    if (r.role !== 'replica') continue;
    const master = r.masterId ? byId.get(r.masterId) : undefined;
    const repl = r.replication;
    const masterDown = master !== undefined && isDown(master);
    const who = nodeLabel(r);
    // Keys loaded from its own AOF/RDB (a pod restarted with its volume) are data, even before the first sync.
    if (repl && replicaNeverSynced(repl) && !((r.keys ?? 0) > 0)) {
      add({
        code: FindingCodes.ReplicaNeverSynced,
        severity: masterDown ? 'critical' : 'warning',
        summary: `replica ${who} never synced with its master: it holds no data to take over with`,
        nodes: [r.id, ...(master ? [master.id] : [])],
        ...addrs(r.addr),
        evidence: [
          `${r.addr} says master_link_status:down`,
          `slave_repl_offset:${repl.slaveReplOffset ?? 'absent'}`,
          ...(repl.masterLinkDownSinceSeconds !== undefined
            ? [`master_link_down_since_seconds:${repl.masterLinkDownSinceSeconds}`]
            : []),
        ],
      });
    } else if (repl?.masterLinkStatus === 'down') {
      add({
        code: FindingCodes.ReplicaLinkDown,
        severity: masterDown ? 'info' : 'warning',
        summary: `replica ${who} lost its link to master ${master ? nodeLabel(master) : (r.masterId ?? '?').slice(0, 8)}${repl.masterLinkDownSinceSeconds !== undefined && repl.masterLinkDownSinceSeconds >= 0 ? ` ${repl.masterLinkDownSinceSeconds} s ago` : ''}`,
        nodes: [r.id, ...(master ? [master.id] : [])],
        ...addrs(r.addr),
        evidence: [
          `${r.addr} says master_link_status:down`,
          ...(repl.masterHost ? [`master_host:${repl.masterHost}:${repl.masterPort ?? ''}`] : []),
        ],
      });
    }
    if (repl?.masterLinkStatus === 'up' && master) {
      const line = master.replication?.replicas.find(
        (l) => r.addr !== null && `${l.ip}:${l.port}` === r.addr,
      );
      const gap =
        master.replication && repl.slaveReplOffset !== undefined
          ? master.replication.masterReplOffset - repl.slaveReplOffset
          : line && master.replication
            ? master.replication.masterReplOffset - line.offset
            : 0;
      const lag = line?.lag ?? 0;
      if (lag > maxLag || gap > maxGap) {
        add({
          code: FindingCodes.ReplicaLagging,
          severity: 'warning',
          summary: `replica ${who} lags behind master ${nodeLabel(master)} (${gap} bytes, last ack ${lag} s ago)`,
          nodes: [r.id, master.id],
          ...addrs(r.addr),
          evidence: [
            `${master.addr} says master_repl_offset:${master.replication?.masterReplOffset ?? '?'}`,
            `${r.addr} says slave_repl_offset:${repl.slaveReplOffset ?? line?.offset ?? '?'}`,
            ...(line ? [`${master.addr} says lag=${line.lag} for ${line.ip}:${line.port}`] : []),
          ],
        });
      }
    }
    const reasons: string[] = [];
    if (r.flags.includes('nofailover')) reasons.push('flag nofailover (cluster-replica-no-failover yes)');
    if (
      repl?.masterLinkStatus === 'down' &&
      repl.masterLinkDownSinceSeconds !== undefined &&
      repl.masterLinkDownSinceSeconds > maxLinkDown
    ) {
      reasons.push(`master link down for ${repl.masterLinkDownSinceSeconds} s (data too old to be elected)`);
    }
    if (reasons.length > 0) {
      add({
        code: FindingCodes.ReplicaCannotFailover,
        severity: masterDown ? 'critical' : 'warning',
        summary: `replica ${who} cannot fail over by itself${masterDown ? ' and its master has failed' : ''}: ${reasons.join('; ')}`,
        nodes: [r.id, ...(master ? [master.id] : [])],
        ...addrs(r.addr),
        evidence: reasons.map((x) => `${r.addr}: ${x}`),
      });
    }
  }

  for (const m of masters) {
    const replicas = replicasOf.get(m.id) ?? [];
    const p = m.persistence;
    const noPersistence = !!p && !p.aofEnabled && p.saveConfig === '';
    // AOF on an emptyDir (write-up 004, part 1): Redis says aof_enabled:1, yet the file dies with the pod.
    const emptyDir = m.pod?.dataVolume === 'emptyDir' ? m.pod : undefined;
    if (replicas.length === 0 || (!noPersistence && !emptyDir)) continue;
    const volumeEvidence = emptyDir
      ? [
          `pod ${emptyDir.name} mounts an emptyDir at ${emptyDir.dataMountPath ?? 'its data dir'}: it is emptied when the pod is deleted or rescheduled`,
        ]
      : [];
    if (noPersistence) {
      add({
        code: FindingCodes.MasterNoPersistence,
        severity: 'warning',
        summary: `master ${nodeLabel(m)} has no persistence: a restart of this master empties every replica — fail over to a replica first`,
        nodes: [m.id, ...replicas.map((r) => r.id)],
        ...addrs(m.addr),
        evidence: [
          `${m.addr} says aof_enabled:0`,
          `${m.addr} says save ""`,
          ...volumeEvidence,
          `${replicas.length} replica(s) follow it`,
        ],
      });
      continue;
    }
    const what = emptyDirRisk(p, emptyDir?.dataMountPath);
    add({
      code: FindingCodes.MasterNoPersistence,
      severity: 'warning',
      summary: `master ${nodeLabel(m)}: ${what}: a pod restart empties this master and then its replicas — fail over to a replica first, and give the pods a persistent volume (the chart's persistence.enabled=true)`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [
        ...(p ? [`${m.addr} says aof_enabled:${p.aofEnabled ? 1 : 0}`] : []),
        ...(p?.saveConfig !== undefined ? [`${m.addr} says save "${p.saveConfig}"`] : []),
        ...volumeEvidence,
        `${replicas.length} replica(s) follow it`,
      ],
    });
  }

  const saysFail = topology.nodes.filter((n) => n.reachable && n.info?.state === 'fail');
  if (saysFail.length > 0) {
    add({
      code: FindingCodes.ClusterStateFail,
      severity: 'critical',
      summary: `${saysFail.length} of ${topology.nodes.filter((n) => n.info).length} nodes say cluster_state:fail: the cluster refuses queries (CLUSTERDOWN)`,
      nodes: saysFail.map((n) => n.id),
      evidence: saysFail.map(
        (n) =>
          `${n.addr} says cluster_state:fail (slots ok ${n.info!.slotsOk}, pfail ${n.info!.slotsPfail}, fail ${n.info!.slotsFail})`,
      ),
    });
  }

  // Pods back at new IPs with their ids (every pod restarted at once): issue 14.
  const moved = findMovedNodes(topology);
  if (moved.length > 0) add(movedNodesFinding(moved, topology));

  // Live nodes outside the cluster.
  for (const p of topology.outsiders) {
    add(outsiderFinding(p, topology.pods));
  }
  // Addresses that refused our credentials and are no member we know (those have node-unreachable above):
  // e.g. a restarted pod with another password. They are left out of the picture: say so.
  const memberAddrs = new Set(topology.nodes.map((n) => n.addr));
  const strangers = topology.probes.filter((p) => p.authFailed && !memberAddrs.has(p.addr));
  if (strangers.length > 0) add(authFailedFinding(topology, strangers, false));

  // Kubernetes.
  if (topology.pods) analyzePods(topology, topology.pods, replicasOf, add);
  if (topology.podError) add(k8sApiError(topology.podError));

  // Keys on a master that does not own their slot (issue 14).
  for (const f of findStrayKeys(topology)) add(f);
  return sortFindings(findings);
}

function addrs(addr: Addr | null): { addrs?: Addr[] } {
  return addr ? { addrs: [addr] } : {};
}

function groupSays(views: { observer: Addr; says: string }[]): string[] {
  const bySays = new Map<string, Addr[]>();
  for (const v of views) {
    const list = bySays.get(v.says);
    if (list) list.push(v.observer);
    else bySays.set(v.says, [v.observer]);
  }
  return [...bySays].map(([says, observers]) => {
    const shown = observers.slice(0, 5).join(', ');
    const more = observers.length > 5 ? ` and ${observers.length - 5} more` : '';
    return `${shown}${more} say${observers.length === 1 ? 's' : ''} ${says}`;
  });
}

function replicaTrouble(r: ClusterNode): string {
  if (r.health !== 'ok') return `health ${r.health}`;
  if (r.replication?.masterLinkStatus === 'down') return 'master link down';
  return 'unhealthy';
}

function outsiderFinding(p: Probe, pods: PodInfo[] | undefined): Finding {
  const pod = p.pod ?? pods?.find((x) => x.ip !== null && `${x.ip}:${x.port}` === p.addr);
  const id = p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
  const podText = pod ? ` (pod ${pod.name})` : '';
  const evidence: string[] = [];
  if (p.clusterEnabled === false) evidence.push(`${p.addr} says cluster_enabled:0`);
  else {
    if (p.info) evidence.push(`${p.addr} says cluster_known_nodes:${p.info.knownNodes}`);
    if (p.info) evidence.push(`${p.addr} says cluster_state:${p.info.state}`);
    if (id) evidence.push(`no member of the cluster lists ${id.slice(0, 8)}`);
  }
  if (pod) evidence.push(`pod ${pod.name} has IP ${pod.ip}`);
  return {
    code: FindingCodes.NodeOutsideCluster,
    severity: 'warning',
    summary:
      p.clusterEnabled === false
        ? `${p.addr}${podText} answers but runs without cluster mode`
        : `${p.addr}${podText} is a live node outside the cluster${p.info?.knownNodes === 1 ? ': it knows only itself' : ''}`,
    nodes: id ? [id] : [],
    addrs: [p.addr],
    evidence,
  };
}

function analyzePods(
  topology: Topology,
  pods: PodInfo[],
  replicasOf: Map<NodeId, ClusterNode[]>,
  add: (f: Finding) => void,
): void {
  const memberByAddr = new Map<Addr, ClusterNode>();
  for (const n of topology.nodes) if (n.addr) memberByAddr.set(n.addr, n);
  const probeByAddr = new Map<Addr, Probe>();
  for (const p of topology.probes) if (p.outcome === 'ok') probeByAddr.set(p.addr, p);
  const outsiderAddrs = new Set(topology.outsiders.map((p) => p.addr));

  for (const pod of pods) {
    if (pod.ip === null) {
      add({
        code: FindingCodes.PodNotInCluster,
        severity: 'info',
        summary: `pod ${pod.name} has no IP yet (phase ${pod.phase})`,
        nodes: [],
        evidence: [`pod ${pod.name}: phase ${pod.phase}, ready ${pod.ready}`],
      });
      continue;
    }
    const addr = `${pod.ip}:${pod.port}`;
    const member = memberByAddr.get(addr);
    const probe = probeByAddr.get(addr);
    const answeredAs = probe?.myId ?? probe?.nodes?.find((v) => v.flags.includes('myself'))?.id;
    const inCluster = member !== undefined && (answeredAs === undefined || answeredAs === member.id);
    if (!inCluster) {
      add({
        code: FindingCodes.PodNotInCluster,
        severity: 'warning',
        summary: `pod ${pod.name} (${addr}) is not part of the cluster${outsiderAddrs.has(addr) ? ': its Redis answers alone' : probe ? '' : ': its Redis did not answer'}`,
        nodes: answeredAs ? [answeredAs] : [],
        addrs: [addr],
        evidence: [
          `no member of the cluster has address ${addr}`,
          ...(member && answeredAs && answeredAs !== member.id
            ? [
                `the cluster expects ${member.id.slice(0, 8)} there, ${addr} answers as ${answeredAs.slice(0, 8)}`,
              ]
            : []),
        ],
      });
    }
    if (!pod.ready && pod.phase === 'Running') {
      const info = member?.info ?? probe?.info;
      const evidence = [
        `pod ${pod.name}: ready false${pod.notReadyReason ? ` (${pod.notReadyReason})` : ''}`,
      ];
      let why = pod.notReadyReason ?? 'readiness probe failing';
      if (info?.state === 'fail') {
        why = `its readiness check needs cluster_state:ok and ${addr} says cluster_state:fail${info.knownNodes === 1 ? ' (it knows only itself)' : ''}`;
        evidence.push(
          `${addr} says cluster_state:fail`,
          `${addr} says cluster_known_nodes:${info.knownNodes}`,
        );
      }
      add({
        code: FindingCodes.PodNotReady,
        severity: 'warning',
        summary: `pod ${pod.name} is not ready: ${why}`,
        nodes: member ? [member.id] : answeredAs ? [answeredAs] : [],
        addrs: [addr],
        evidence,
      });
    }
  }

  for (const m of topology.nodes) {
    if (m.role !== 'master' || m.slots.length === 0 || m.health === 'fail') continue;
    const k8sNode = m.pod?.nodeName;
    if (!k8sNode) continue;
    const replicas = (replicasOf.get(m.id) ?? []).filter((r) => r.health === 'ok');
    if (replicas.length === 0 || !replicas.every((r) => r.pod?.nodeName === k8sNode)) continue;
    add({
      code: FindingCodes.ShardSameK8sNode,
      severity: 'warning',
      summary: `master ${nodeLabel(m)} and ${replicas.length === 1 ? 'its only replica' : `all ${replicas.length} of its replicas`} run on Kubernetes node ${k8sNode}: losing that node loses ${slotsText(m.slots)}`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [m, ...replicas].map((n) => `pod ${n.pod!.name} (${n.addr}) runs on ${k8sNode}`),
    });
  }
}

/** Addresses that answered with NOAUTH / WRONGPASS: the credentials we were given are missing or wrong. */
function authFailedFinding(topology: Topology, refused: Probe[], nobodyAnswered: boolean): Finding {
  const noPassword = refused.every((p) => /NOAUTH/.test(p.error ?? ''));
  const why = noPassword
    ? topology.auth
      ? 'the nodes ask for a password and refuse the one configured'
      : 'the nodes ask for a password and none is configured (REDIS_PASSWORD)'
    : topology.auth?.username
      ? `wrong password for user ${topology.auth.username} (REDIS_USERNAME / REDIS_PASSWORD)`
      : 'wrong password (REDIS_PASSWORD), or the user needs a name (REDIS_USERNAME)';
  const n = refused.length;
  const others = topology.probes.length - n;
  const summary = nobodyAnswered
    ? `authentication failed: ${n} address${n === 1 ? '' : 'es'} refused our credentials — ${why}${others > 0 ? `; ${others} other${others === 1 ? '' : 's'} did not answer` : ''}. The cluster's state is unknown`
    : `authentication failed on ${n} address${n === 1 ? '' : 'es'} outside the known members (${why}): left out of this picture`;
  return {
    code: FindingCodes.AuthFailed,
    severity: nobodyAnswered ? 'critical' : 'warning',
    summary,
    nodes: [],
    addrs: (nobodyAnswered ? topology.probes : refused).map((p) => p.addr),
    evidence: (nobodyAnswered ? topology.probes : refused).map((p) =>
      p.authFailed
        ? (p.error ?? `${p.addr}: authentication failed`)
        : `${p.addr}: ${p.outcome}${p.error ? ` (${p.error})` : ''}`,
    ),
  };
}

function k8sApiError(message: string): Finding {
  return {
    code: FindingCodes.K8sApiError,
    severity: 'warning',
    summary: `The Kubernetes API could not be read (${message}): this picture comes from Redis alone`,
    nodes: [],
    evidence: [message],
  };
}

/** Critical first, then warning, then info; equal severities keep their order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort((a, b) => SEVERITY_RANK[a[0].severity] - SEVERITY_RANK[b[0].severity] || a[1] - b[1])
    .map(([f]) => f);
}
