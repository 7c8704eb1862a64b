import type {
  Addr,
  ClusterNode,
  Finding,
  NodeId,
  Probe,
  ReplicationInfo,
  Severity,
  Topology,
} from '../../types.ts';
import { countSlots, formatSlotRanges } from '../slots.ts';

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

/** Lookups every rule needs, built once per analysis. */
export interface ClusterIndex {
  byId: Map<NodeId, ClusterNode>;
  /** Replicas by the id of the master they follow. */
  replicasOf: Map<NodeId, ClusterNode[]>;
  /** Our probe of each address; a failed one wins over an answer. */
  probeByAddr: Map<Addr, Probe>;
  masters: ClusterNode[];
}

/** What a rule gets besides the topology: the thresholds and the shared lookups. */
export interface RuleContext extends Required<AnalyzeOptions> {
  index: ClusterIndex;
}

/** One rule: the codes it may produce and how it finds them. */
export interface FindingRule {
  readonly codes: readonly string[];
  find(topology: Topology, ctx: RuleContext): Finding[];
}

export function ruleContext(topology: Topology, opts: AnalyzeOptions): RuleContext {
  return {
    maxLinkDownSeconds: opts.maxLinkDownSeconds ?? DEFAULT_MAX_LINK_DOWN_SECONDS,
    maxLagSeconds: opts.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS,
    maxOffsetGap: opts.maxOffsetGap ?? DEFAULT_MAX_OFFSET_GAP,
    index: clusterIndex(topology),
  };
}

function clusterIndex(topology: Topology): ClusterIndex {
  const byId = new Map<NodeId, ClusterNode>();
  for (const n of topology.nodes) byId.set(n.id, n);
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
  const masters = topology.nodes.filter((n) => n.role === 'master');
  return { byId, replicasOf, probeByAddr, masters };
}

export function replicasOf(ctx: RuleContext, id: NodeId): ClusterNode[] {
  return ctx.index.replicasOf.get(id) ?? [];
}

/** An observer by its address, else its short id. */
export function observerAddr(ctx: RuleContext, id: NodeId): string {
  return ctx.index.byId.get(id)?.addr ?? id.slice(0, 8);
}

export function servesSlots(n: ClusterNode): boolean {
  return n.role === 'master' && n.slots.length > 0;
}

/** Without a majority of masters nobody can mark a dead node `fail`: a pfail node we cannot reach is down too. */
export function isDown(n: ClusterNode): boolean {
  return n.health === 'fail' || (n.health === 'pfail' && !n.reachable);
}

/** `10.0.0.1:6379 (3d0c9901)`, plus the pod name when known. */
export function nodeLabel(node: Pick<ClusterNode, 'id' | 'addr' | 'pod'>): string {
  const pod = node.pod ? ` [pod ${node.pod.name}]` : '';
  return `${node.addr ?? 'noaddr'} (${node.id.slice(0, 8)})${pod}`;
}

export function slotsText(ranges: ClusterNode['slots']): string {
  const n = countSlots(ranges);
  return `slots ${formatSlotRanges(ranges)} (${n} slot${n === 1 ? '' : 's'})`;
}

/** The finding's `addrs` field: present only when the node has an address. */
export function addrs(addr: Addr | null): { addrs?: Addr[] } {
  return addr ? { addrs: [addr] } : {};
}

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

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Critical first, then warning, then info; equal severities keep their order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort((a, b) => SEVERITY_RANK[a[0].severity] - SEVERITY_RANK[b[0].severity] || a[1] - b[1])
    .map(([f]) => f);
}
