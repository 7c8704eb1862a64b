import { formatSlotRanges, subtractRanges, uncoveredSlots } from '../topology/slots.ts';
import type { Addr, Finding, NodeId, SlotRange, Topology } from '../types.ts';

/** A change between two scans of one cluster: the watcher reports changes, not states. */
export type WatchChange =
  | { kind: 'node-failed'; key: string; nodeId: NodeId; addr: Addr | null; role: string; health: string }
  | { kind: 'node-recovered'; key: string; nodeId: NodeId; addr: Addr | null }
  | { kind: 'node-appeared'; key: string; nodeId: NodeId; addr: Addr | null }
  | {
      kind: 'failover';
      key: string;
      newMasterId: NodeId;
      newMasterAddr: Addr | null;
      formerMasterId: NodeId | null;
      formerMasterAddr: Addr | null;
    }
  | { kind: 'slots-lost'; key: string; slots: SlotRange[] }
  | { kind: 'slots-recovered'; key: string; slots: SlotRange[] }
  | { kind: 'master-without-replicas'; key: string; nodeId: NodeId; addr: Addr | null }
  | { kind: 'outsider-appeared'; key: string; addr: Addr; pod?: string };

const HEALTHY = new Set(['ok']);

function uncovered(topology: Topology): SlotRange[] {
  return uncoveredSlots(topology.nodes.filter((n) => n.role === 'master' && n.health !== 'fail'));
}

function healthyReplicaCount(topology: Topology, masterId: NodeId): number {
  return topology.nodes.filter(
    (n) => n.role === 'replica' && n.masterId === masterId && HEALTHY.has(n.health),
  ).length;
}

/** What changed from `before` to `after`. With no `before`, everything wrong in `after` counts as new. */
export function diffTopologies(before: Topology | null, after: Topology): WatchChange[] {
  const changes: WatchChange[] = [];
  const prev = new Map((before?.nodes ?? []).map((n) => [n.id, n]));
  for (const node of after.nodes) {
    const old = prev.get(node.id);
    const wasHealthy = old ? HEALTHY.has(old.health) : true;
    const isHealthy = HEALTHY.has(node.health);
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
      });
    }
    if (node.role === 'master' && node.slots.length > 0 && isHealthy) {
      const hadReplica = old
        ? healthyReplicaCount(before as Topology, node.id) > 0 || old.role === 'replica'
        : true;
      if (hadReplica && healthyReplicaCount(after, node.id) === 0)
        changes.push({
          kind: 'master-without-replicas',
          key: `orphan:${node.id}`,
          nodeId: node.id,
          addr: node.addr,
        });
    }
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
  const oldOutsiders = new Set((before?.outsiders ?? []).map((o) => o.myId ?? o.addr));
  for (const o of after.outsiders) {
    if (oldOutsiders.has(o.myId ?? o.addr)) continue;
    changes.push({
      kind: 'outsider-appeared',
      key: `outsider:${o.myId ?? o.addr}`,
      addr: o.addr,
      ...(o.pod ? { pod: o.pod.name } : {}),
    });
  }
  return changes;
}

/** A short line for a person, e.g. "127.0.0.1:7000 (master) failed". */
export function describeChange(change: WatchChange): string {
  const at = (addr: Addr | null, id: NodeId | null) => addr ?? (id ? id.slice(0, 8) : 'unknown');
  switch (change.kind) {
    case 'node-failed':
      return `${at(change.addr, change.nodeId)} (${change.role}, ${change.nodeId.slice(0, 8)}) is ${change.health === 'fail' ? 'failed' : change.health}`;
    case 'node-recovered':
      return `${at(change.addr, change.nodeId)} (${change.nodeId.slice(0, 8)}) recovered`;
    case 'node-appeared':
      return `${at(change.addr, change.nodeId)} (${change.nodeId.slice(0, 8)}) joined the cluster`;
    case 'failover':
      return `failover: ${at(change.newMasterAddr, change.newMasterId)} was promoted to master in place of ${at(change.formerMasterAddr, change.formerMasterId)}`;
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

/** Findings that make an incident: anything critical or warning. */
export function isDegraded(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'critical' || f.severity === 'warning');
}
