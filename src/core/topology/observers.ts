/** Which answering nodes observe the cluster, and which of them form it. */
import type { NodeId, NodeView, Probe } from '../types.ts';

/** One answering node and what it said, inside the cluster's main group or not. */
export interface Observer {
  probe: Probe;
  id: NodeId;
  views: NodeView[];
  byId: Map<NodeId, NodeView>;
}

export function observerId(p: Probe): NodeId | undefined {
  return p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
}

export function collectObservers(answered: Probe[]): Observer[] {
  const out: Observer[] = [];
  const seen = new Set<NodeId>();
  for (const probe of answered) {
    if (probe.clusterEnabled === false || !probe.nodes) continue;
    const id = observerId(probe);
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    const byId = new Map<NodeId, NodeView>();
    for (const v of probe.nodes) byId.set(v.id, v);
    out.push({ probe, id, views: probe.nodes, byId });
  }
  return out;
}

/** The cluster's observers and its member ids. */
export function clusterGroup(observers: Observer[]): { group: Observer[]; members: Set<NodeId> } {
  // A node that still lists the cluster but that no one else lists (forgotten, still running) is not in it;
  // dropping it may drop what only it listed, hence the loop (a few rounds at most).
  let group = chooseClusterGroup(observers);
  let members = memberIds(group);
  for (;;) {
    const kept = group.filter((o) => members.has(o.id));
    if (kept.length === group.length || kept.length === 0) break;
    group = kept;
    members = memberIds(group);
  }
  return { group, members };
}

/** Union-find over "A lists B": the largest group of observers is the cluster. */
function chooseClusterGroup(observers: Observer[]): Observer[] {
  if (observers.length <= 1) return observers;
  const index = new Map<NodeId, number>();
  observers.forEach((o, i) => {
    index.set(o.id, i);
  });
  const parent = observers.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  observers.forEach((o, i) => {
    for (const v of o.views) {
      const j = index.get(v.id);
      // A `handshake` entry is not yet a relation: the stranger being met is not a member.
      if (j !== undefined && j !== i && !v.flags.includes('handshake')) parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Observer[]>();
  observers.forEach((o, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(o);
    else groups.set(root, [o]);
  });
  const score = (g: Observer[]) => {
    const known = new Set<NodeId>();
    for (const o of g) for (const v of o.views) known.add(v.id);
    return [g.length, known.size, g.some((o) => o.probe.source === 'seed') ? 1 : 0] as const;
  };
  let best: Observer[] = [];
  let bestScore: readonly number[] = [-1, -1, -1];
  for (const g of groups.values()) {
    const s = score(g);
    if (
      s[0]! > bestScore[0]! ||
      (s[0] === bestScore[0] && (s[1] > bestScore[1]! || (s[1] === bestScore[1] && s[2] > bestScore[2]!)))
    ) {
      best = g;
      bestScore = s;
    }
  }
  return best;
}

/** Ids some other observer of the group lists (a lone observer's own list when it is alone). */
function memberIds(group: Observer[]): Set<NodeId> {
  const members = new Set<NodeId>();
  if (group.length === 1) {
    for (const v of group[0]!.views) members.add(v.id);
    return members;
  }
  for (const o of group) for (const v of o.views) if (v.id !== o.id) members.add(v.id);
  return members;
}
