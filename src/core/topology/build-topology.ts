import type { Addr, ClusterNode, NodeId, PodInfo, Probe, Topology } from '../types.ts';
import { gatherViews, mergeNode } from './merge-node.ts';
import { findDisagreements } from './observer-disagreements.ts';
import { clusterGroup, collectObservers, type Observer, observerId } from './observers.ts';
import { formatSlotRanges } from './slots.ts';

export interface BuildTopologyOptions {
  takenAt: number;
  pods?: PodInfo[];
  podError?: string;
}

/**
 * Merges what every probed address said into one picture of the cluster.
 *
 * - Membership: observers that list each other (directly or through others) form groups; the group with
 *   the most observers (then the most known ids, then holding a seed) is the cluster. A member is an id
 *   some other observer of that group lists; an answering node that is not a member is an outsider
 *   (the restarted pod alone with `cluster_known_nodes:1`, a forgotten node still running, a node
 *   without cluster mode).
 * - A node's own `myself` line wins for its slots, role and open slots when we reached it; otherwise the
 *   view most observers share.
 * - Health: fail > pfail > handshake > unreachable > noaddr > ok.
 */
export function buildTopology(cluster: string, probes: Probe[], opts: BuildTopologyOptions): Topology {
  const answered = probes.filter((p) => p.outcome === 'ok');
  const base = {
    cluster,
    takenAt: opts.takenAt,
    probes,
    ...(opts.pods ? { pods: opts.pods } : {}),
    ...(opts.podError !== undefined ? { podError: opts.podError } : {}),
  };

  if (answered.length > 0 && answered.every((p) => p.clusterEnabled === false)) {
    const topology: Topology = {
      ...base,
      mode: 'standalone',
      nodes: [],
      outsiders: [],
      disagreements: [],
      fingerprint: '',
    };
    topology.fingerprint = topologyFingerprint(topology);
    return topology;
  }

  const { group, members } = clusterGroup(collectObservers(answered));

  const outsiders: Probe[] = [];
  const seenOutsider = new Set<string>();
  for (const p of answered) {
    if (p.clusterEnabled === false) {
      pushOnce(outsiders, seenOutsider, p, `addr:${p.addr}`);
      continue;
    }
    const id = observerId(p);
    if (id !== undefined && !members.has(id)) pushOnce(outsiders, seenOutsider, p, `id:${id}`);
  }

  const probeByAddr = new Map<Addr, Probe>();
  for (const p of probes) {
    const prev = probeByAddr.get(p.addr);
    // An answer beats a failure when the same address was asked twice (seed and gossip).
    if (!prev || (prev.outcome !== 'ok' && p.outcome === 'ok')) probeByAddr.set(p.addr, p);
  }
  const ownObserver = new Map<NodeId, Observer>();
  for (const o of group) if (o.byId.has(o.id)) ownObserver.set(o.id, o);

  const podByAddr = new Map<Addr, PodInfo>();
  for (const pod of opts.pods ?? []) if (pod.ip) podByAddr.set(`${pod.ip}:${pod.port}`, pod);

  const seen = gatherViews(group, ownObserver);
  const nodes: ClusterNode[] = [];
  for (const id of members) {
    nodes.push(mergeNode(id, seen.get(id)!, ownObserver.get(id), probeByAddr, podByAddr));
  }
  const sortKey = new Map<ClusterNode, string>();
  for (const n of nodes) sortKey.set(n, addrSortKey(n.addr));
  nodes.sort((a, b) => {
    const ka = sortKey.get(a)!;
    const kb = sortKey.get(b)!;
    return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : 1;
  });

  const topology: Topology = {
    ...base,
    mode: 'cluster',
    nodes,
    outsiders,
    disagreements: findDisagreements(group, seen),
    fingerprint: '',
  };
  topology.fingerprint = topologyFingerprint(topology);
  return topology;
}

function pushOnce(list: Probe[], seen: Set<string>, p: Probe, key: string): void {
  if (seen.has(key)) return;
  seen.add(key);
  list.push(p);
}

/** Numeric-aware sort key so 10.0.0.9 comes before 10.0.0.10; nodes without address last. */
function addrSortKey(addr: Addr | null): string {
  if (addr === null) return '\uffff';
  // Each run of digits is prefixed by its length, so plain string order is numeric order.
  let out = '';
  let i = 0;
  while (i < addr.length) {
    const c = addr.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < addr.length && addr.charCodeAt(j) >= 48 && addr.charCodeAt(j) <= 57) j++;
      out += String.fromCharCode(64 + j - i) + addr.slice(i, j);
      i = j;
    } else {
      out += addr[i];
      i++;
    }
  }
  return out;
}

/**
 * Stable hash of membership, roles, masters, slots, health and outsiders: two scans of an unchanged
 * cluster give the same value, whatever the probe order or timings.
 */
export function topologyFingerprint(
  t: Pick<Topology, 'mode' | 'nodes' | 'outsiders'> & Partial<Topology>,
): string {
  const parts: string[] = [t.mode];
  const nodes = [...t.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const n of nodes) {
    parts.push(`${n.id}|${n.role}|${n.masterId ?? '-'}|${formatSlotRanges(n.slots)}|${n.health}`);
  }
  const outsiders = t.outsiders.map((p) => p.myId ?? observerId(p) ?? p.addr).sort();
  parts.push(`outsiders:${outsiders.join(',')}`);
  if (t.mode === 'standalone' && t.probes) {
    parts.push(
      t.probes
        .map((p) => `${p.addr}|${p.outcome}|${p.replication?.role ?? ''}|${p.replication?.masterHost ?? ''}`)
        .sort()
        .join(','),
    );
  }
  // Two FNV-1a lanes (different offset bases) over the parts, without joining them into one big string.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x01000193) >>> 0;
    }
    a = Math.imul(a ^ 10, 0x01000193) >>> 0;
    b = Math.imul(b ^ 10, 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
