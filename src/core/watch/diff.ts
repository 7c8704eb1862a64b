/**
 * What the watcher (src/app/watch/watcher.ts) says about a cluster: the changes between two scans, and whether a
 * picture is an incident at all. Pure: topologies and findings in, data out.
 */
import { isMajorityLost } from '../plans/cluster-view.ts';
import { formatSlotRanges, subtractRanges, uncoveredSlots } from '../topology/slots.ts';
import type { Addr, ClusterNode, Finding, NodeId, SlotRange, Topology } from '../types.ts';

/** A change between two scans of one cluster: the watcher reports changes, not states. */
export type WatchChange =
  | {
      kind: 'node-failed';
      key: string;
      nodeId: NodeId;
      addr: Addr | null;
      role: ClusterNode['role'];
      health: ClusterNode['health'];
    }
  | { kind: 'node-recovered'; key: string; nodeId: NodeId; addr: Addr | null }
  | { kind: 'node-appeared'; key: string; nodeId: NodeId; addr: Addr | null }
  | { kind: 'node-removed'; key: string; nodeId: NodeId; addr: Addr | null }
  | {
      kind: 'failover';
      key: string;
      newMasterId: NodeId;
      newMasterAddr: Addr | null;
      formerMasterId: NodeId | null;
      formerMasterAddr: Addr | null;
      /** When the scan that first saw the new master was taken (epoch ms). */
      at: number;
    }
  | { kind: 'slots-lost'; key: string; slots: SlotRange[] }
  | { kind: 'slots-recovered'; key: string; slots: SlotRange[] }
  | { kind: 'master-without-replicas'; key: string; nodeId: NodeId; addr: Addr | null }
  | { kind: 'outsider-appeared'; key: string; addr: Addr; pod?: string };

/**
 * Standing risks, not degradations: `status` shows them, but a cluster that has them from the start is not an
 * incident (otherwise the watcher would open one on its first scan and never close it).
 */
export const STANDING_RISK_CODES: ReadonlySet<string> = new Set([
  'master-no-persistence',
  'shard-same-k8s-node',
]);

/** Findings that may be a blip (a slow node, a GC pause): they are announced only when they outlast the grace. */
export const SOFT_CODES: ReadonlySet<string> = new Set(['node-unreachable', 'node-pfail']);

/** Disagreements that a failover leaves for a few seconds, until gossip has told every node. */
const SETTLING_CODES: ReadonlySet<string> = new Set(['slot-owner-disagreement', 'role-disagreement']);

/**
 * Findings that make an incident: critical or warning, and not a standing risk. With the topology: in a cluster
 * built without any replica, a master without one is how it was built, not a degradation.
 */
export function incidentFindings(findings: Finding[], topology?: Topology): Finding[] {
  const noReplicasAtAll = topology !== undefined && !topology.nodes.some((n) => n.role === 'replica');
  return findings.filter(
    (f) =>
      f.severity !== 'info' &&
      !STANDING_RISK_CODES.has(f.code) &&
      !(noReplicasAtAll && f.code === 'master-orphaned'),
  );
}

/** Is this picture an incident? */
export function isDegraded(findings: Finding[], topology?: Topology): boolean {
  return incidentFindings(findings, topology).length > 0;
}

/** Every incident finding is a maybe-blip (unreachable / suspected), nothing confirmed yet. */
export function onlySoft(findings: Finding[], topology?: Topology): boolean {
  return incidentFindings(findings, topology).every((f) => SOFT_CODES.has(f.code));
}

/**
 * Redis itself is still deciding: a node is only suspected (`fail?`), nodes disagree about slot owners or roles
 * (an election's gossip has not reached everyone), or a master that owns slots is down (we
 * cannot reach it, or the cluster flagged it) and has a live replica that may fail over by itself (Redis
 * flags a master after cluster-node-timeout, then waits ~0.5–1 s plus a rank delay before electing).
 * Speaking now would propose a manual failover that Redis is about to make on its own.
 */
export function redisIsDeciding(topology: Topology, findings: Finding[]): boolean {
  // Most masters gone: no majority to flag a failure or elect a replica; waiting changes nothing (write-up 001).
  if (isMajorityLost(topology)) return false;
  if (topology.nodes.some((n) => n.health === 'pfail')) return true;
  // Nodes disagree on who owns slots or who is master: an election or its gossip is still going round.
  if (findings.some((f) => SETTLING_CODES.has(f.code))) return true;
  const stuck = new Set(
    findings
      .filter((f) => f.code === 'replica-cannot-failover' || f.code === 'replica-never-synced')
      .flatMap((f) => f.nodes),
  );
  return topology.nodes.some(
    (m) =>
      m.role === 'master' &&
      m.health !== 'ok' &&
      m.slots.length > 0 &&
      topology.nodes.some(
        (r) =>
          r.role === 'replica' &&
          r.masterId === m.id &&
          r.reachable &&
          r.health === 'ok' &&
          !r.flags.includes('nofailover') &&
          !stuck.has(r.id),
      ),
  );
}

/** Members worth talking about: a `handshake` entry is a transient record with a random id (a MEET in flight). */
function members(topology: Topology): ClusterNode[] {
  return topology.nodes.filter((n) => n.health !== 'handshake');
}

function uncovered(topology: Topology): SlotRange[] {
  return uncoveredSlots(topology.nodes.filter((n) => n.role === 'master' && n.health !== 'fail'));
}

function healthyReplicaCount(topology: Topology, masterId: NodeId): number {
  return topology.nodes.filter((n) => n.role === 'replica' && n.masterId === masterId && n.health === 'ok')
    .length;
}

const outsiderKey = (o: { myId?: NodeId; addr: Addr }) => o.myId ?? o.addr;

/**
 * What changed from `before` to `after`. With no `before` (the watcher just started, or took over), every
 * problem in `after` counts as new; appearances, removals and failovers need a `before` to be seen.
 */
export function diffTopologies(before: Topology | null, after: Topology): WatchChange[] {
  const changes: WatchChange[] = [];
  const prev = new Map((before ? members(before) : []).map((n) => [n.id, n]));
  const now = members(after);
  for (const node of now) {
    const old = prev.get(node.id);
    const wasHealthy = old ? old.health === 'ok' : true;
    const isHealthy = node.health === 'ok';
    if (!old && before)
      changes.push({ kind: 'node-appeared', key: `appeared:${node.id}`, nodeId: node.id, addr: node.addr });
    if (wasHealthy && !isHealthy)
      changes.push({
        kind: 'node-failed',
        key: `failed:${node.id}`,
        nodeId: node.id,
        addr: node.addr,
        role: node.role,
        health: node.health,
      });
    if (old && !wasHealthy && isHealthy)
      changes.push({ kind: 'node-recovered', key: `recovered:${node.id}`, nodeId: node.id, addr: node.addr });
    if (old && old.role === 'replica' && node.role === 'master' && node.slots.length > 0) {
      const former = old.masterId ? (prev.get(old.masterId) ?? null) : null;
      changes.push({
        kind: 'failover',
        key: `failover:${node.id}`,
        newMasterId: node.id,
        newMasterAddr: node.addr,
        formerMasterId: old.masterId,
        formerMasterAddr: former?.addr ?? null,
        at: after.takenAt,
      });
    }
    if (node.role === 'master' && node.slots.length > 0 && isHealthy && before) {
      // A master that had a healthy replica, or a replica just promoted (its former master is gone).
      const hadReplica = old ? healthyReplicaCount(before, node.id) > 0 || old.role === 'replica' : false;
      if (hadReplica && healthyReplicaCount(after, node.id) === 0)
        changes.push({
          kind: 'master-without-replicas',
          key: `orphan:${node.id}`,
          nodeId: node.id,
          addr: node.addr,
        });
    } else if (node.role === 'master' && node.slots.length > 0 && isHealthy && !before) {
      if (healthyReplicaCount(after, node.id) === 0 && now.some((n) => n.role === 'replica'))
        changes.push({
          kind: 'master-without-replicas',
          key: `orphan:${node.id}`,
          nodeId: node.id,
          addr: node.addr,
        });
    }
  }
  if (before) {
    const ids = new Set(now.map((n) => n.id));
    for (const old of prev.values())
      if (!ids.has(old.id))
        changes.push({ kind: 'node-removed', key: `removed:${old.id}`, nodeId: old.id, addr: old.addr });
  }
  const lostBefore = before ? uncovered(before) : [];
  const lostNow = uncovered(after);
  const newlyLost = subtractRanges(lostNow, lostBefore);
  const regained = subtractRanges(lostBefore, lostNow);
  if (newlyLost.length > 0)
    changes.push({ kind: 'slots-lost', key: `slots-lost:${formatSlotRanges(newlyLost)}`, slots: newlyLost });
  if (regained.length > 0)
    changes.push({
      kind: 'slots-recovered',
      key: `slots-recovered:${formatSlotRanges(regained)}`,
      slots: regained,
    });
  const oldOutsiders = new Set((before?.outsiders ?? []).map(outsiderKey));
  for (const o of after.outsiders) {
    if (oldOutsiders.has(outsiderKey(o))) continue;
    changes.push({
      kind: 'outsider-appeared',
      key: `outsider:${outsiderKey(o)}`,
      addr: o.addr,
      ...(o.pod ? { pod: o.pod.name } : {}),
    });
  }
  return changes;
}

const HEALTH_WORDS: Record<ClusterNode['health'], string> = {
  ok: 'healthy',
  fail: 'failed',
  pfail: 'suspected down (fail?)',
  unreachable: 'not answering',
  handshake: 'in handshake',
  noaddr: 'without an address (noaddr)',
};

/** `HH:MM:SS UTC`. */
function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '?' : `${d.toISOString().slice(11, 19)} UTC`;
}

/** A short line for a person, e.g. "master 127.0.0.1:7000 (3f2a9c1d) failed". */
export function describeChange(change: WatchChange): string {
  const at = (addr: Addr | null, id: NodeId | null) =>
    addr ? `${addr}${id ? ` (${id.slice(0, 8)})` : ''}` : id ? id.slice(0, 8) : 'an unknown node';
  switch (change.kind) {
    case 'node-failed':
      return `${change.role} ${at(change.addr, change.nodeId)} is ${HEALTH_WORDS[change.health]}`;
    case 'node-recovered':
      return `${at(change.addr, change.nodeId)} is healthy again`;
    case 'node-appeared':
      return `${at(change.addr, change.nodeId)} joined the cluster`;
    case 'node-removed':
      return `${at(change.addr, change.nodeId)} is no longer listed by the cluster (forgotten)`;
    case 'failover':
      return `failover: Redis promoted replica ${at(change.newMasterAddr, change.newMasterId)} to master in place of ${change.formerMasterId ? at(change.formerMasterAddr, change.formerMasterId) : 'its former master'} (seen at ${timeOfDay(change.at)})`;
    case 'slots-lost':
      return `slots ${formatSlotRanges(change.slots)} are no longer served`;
    case 'slots-recovered':
      return `slots ${formatSlotRanges(change.slots)} are served again`;
    case 'master-without-replicas':
      return `master ${at(change.addr, change.nodeId)} is left without a healthy replica`;
    case 'outsider-appeared':
      return `${change.pod ? `pod ${change.pod} (${change.addr})` : change.addr} is alive but outside the cluster`;
  }
}
