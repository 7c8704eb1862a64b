/**
 * Small questions the planners and the step handlers ask of a Topology. Pure.
 */
import { type ErrorCode, ErrorCodes } from '../errors.ts';
import { hasSlot } from '../topology/slots.ts';
import type { Addr, ClusterNode, NodeId, Probe, SlotRange, Topology } from '../types.ts';

/** Did this member answer our probe as itself? (An address now answering with another id does not count.) */
export function answers(topology: Topology, n: ClusterNode): boolean {
  if (!n.reachable || !n.addr) return false;
  const p = topology.probes.find((q) => q.addr === n.addr && q.outcome === 'ok');
  if (p?.myId && p.myId !== n.id) return false;
  return !topology.outsiders.some((o) => o.addr === n.addr && o.myId !== n.id);
}

/** Gone for good as far as we can tell: we cannot reach it and the cluster flags it failed (or it lost its address). */
export function isDown(topology: Topology, n: ClusterNode, majorityLost: boolean): boolean {
  if (answers(topology, n)) return false;
  if (n.health === 'fail' || n.health === 'noaddr') return true;
  // Without a majority of masters nobody can flag it `fail`: `fail?` plus our own failed probe is all we get.
  return majorityLost && (n.health === 'pfail' || n.health === 'unreachable');
}

export function replicationOffset(n: ClusterNode): number {
  return n.replication?.slaveReplOffset ?? n.replication?.masterReplOffset ?? 0;
}

export function slotMasters(topology: Topology): ClusterNode[] {
  return topology.nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && n.health !== 'handshake');
}

/** True when fewer than a majority of the slot-serving masters still answer: no election can succeed. */
export function isMajorityLost(topology: Topology): boolean {
  const masters = slotMasters(topology);
  if (masters.length === 0) return false;
  const alive = masters.filter((m) => answers(topology, m) && m.health !== 'fail').length;
  return alive < Math.floor(masters.length / 2) + 1;
}

export function nodeById(topology: Topology, id: NodeId): ClusterNode | undefined {
  return topology.nodes.find((n) => n.id === id);
}

export function memberByAddr(topology: Topology, addr: Addr): ClusterNode | undefined {
  return topology.nodes.find((n) => n.addr === addr && n.health !== 'handshake');
}

export function outsiderByAddr(topology: Topology, addr: Addr): Probe | undefined {
  return topology.outsiders.find((o) => o.addr === addr);
}

/** Outsiders a plan may bring in: cluster-enabled, answering, empty. */
export function joinableOutsiders(topology: Topology): Probe[] {
  return topology.outsiders.filter(
    (o) => o.outcome === 'ok' && o.clusterEnabled !== false && (o.keys ?? 0) === 0 && o.myId,
  );
}

export function ownsSlot(n: ClusterNode, slot: number): boolean {
  return hasSlot(n.slots, slot);
}

/** Slots nobody claims, as ranges. */
export function uncoveredRanges(topology: Topology): SlotRange[] {
  const covered = new Uint8Array(16384);
  for (const n of topology.nodes) {
    if (n.role !== 'master') continue;
    for (const r of n.slots) covered.fill(1, r.start, r.end + 1);
  }
  const out: SlotRange[] = [];
  let start = -1;
  for (let s = 0; s <= 16384; s++) {
    const hole = s < 16384 && covered[s] === 0;
    if (hole && start < 0) start = s;
    if (!hole && start >= 0) {
      out.push({ start, end: s - 1 });
      start = -1;
    }
  }
  return out;
}

/** Observers (probes of members) whose CLUSTER NODES lists `id` as a real (non-handshake) entry. */
export function observersKnowing(topology: Topology, id: NodeId): Addr[] {
  return topology.probes
    .filter((p) => p.outcome === 'ok' && p.nodes?.some((v) => v.id === id && !v.flags.includes('handshake')))
    .map((p) => p.addr);
}

/**
 * Nobody answered the scan: we cannot see the cluster, so nothing can be planned or changed. The refusal
 * says so, instead of reasoning about slots "nobody owns" from an empty picture. Undefined otherwise.
 */
export function unreachableRefusal(
  topology: Topology,
): { ok: false; code: ErrorCode; reason: string } | undefined {
  if (topology.probes.length === 0 || topology.probes.some((p) => p.outcome === 'ok')) return undefined;
  const n = topology.probes.length;
  const auth = topology.probes.some((p) => p.authFailed);
  return {
    ok: false,
    code: ErrorCodes.ClusterUnreachable,
    reason: `No node of ${topology.cluster} answered (${n} address${n === 1 ? '' : 'es'} asked), so redis-medic cannot see the cluster and changes nothing. ${auth ? 'They refuse our credentials: check REDIS_PASSWORD / REDIS_USERNAME.' : 'Check that the Redis pods run and that this bot can reach them, then try again.'}`,
  };
}
