import type {
  Addr,
  ClusterNode,
  Disagreement,
  NodeFlag,
  NodeHealth,
  NodeId,
  NodeView,
  PodInfo,
  Probe,
  Topology,
} from '../types.ts';
import { formatSlotRanges, MAX_SLOT, mergeRanges } from './slots.ts';

export interface BuildTopologyOptions {
  takenAt: number;
  pods?: PodInfo[];
  podError?: string;
}

/** One answering node and what it said, inside the cluster's main group or not. */
interface Observer {
  probe: Probe;
  id: NodeId;
  views: NodeView[];
  byId: Map<NodeId, NodeView>;
}

const STATE_FLAGS: readonly NodeFlag[] = ['fail', 'fail?', 'handshake', 'noaddr', 'nofailover'];

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

  const observers = collectObservers(answered);
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

function observerId(p: Probe): NodeId | undefined {
  return p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
}

function collectObservers(answered: Probe[]): Observer[] {
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

/** The view most observers share, for a node we could not ask ourselves (ties: the higher config epoch). */
function mostCommonView(views: NodeView[]): NodeView {
  if (views.length === 1) return views[0]!;
  const counts = new Map<string, { n: number; view: NodeView }>();
  for (const view of views) {
    const sig = viewSignature(view);
    const c = counts.get(sig);
    if (c) c.n++;
    else counts.set(sig, { n: 1, view });
  }
  let common = views[0]!;
  let commonN = 0;
  for (const { n, view } of counts.values()) {
    if (n > commonN || (n === commonN && view.configEpoch > common.configEpoch)) {
      common = view;
      commonN = n;
    }
  }
  return common;
}

function viewSignature(v: NodeView): string {
  const role = v.flags.includes('slave') ? `replica:${v.masterId ?? '-'}` : 'master';
  return `${role}|${formatSlotRanges(v.slots)}|${v.configEpoch}|${v.addr ?? ''}`;
}

/** What all observers together say about one node, gathered in one pass over every line of every observer. */
interface Gathered {
  /** Every observer's line, kept only for nodes we did not reach (their most common view is needed). */
  views: NodeView[] | null;
  failReportedBy: NodeId[];
  pfailReportedBy: NodeId[];
  stateFlags: Set<NodeFlag>;
  anyAddr: Addr | null;
  role: string | undefined;
  epoch: number;
  rolesDiffer: boolean;
  epochsDiffer: boolean;
}

function gatherViews(group: Observer[], reached: Map<NodeId, Observer>): Map<NodeId, Gathered> {
  const out = new Map<NodeId, Gathered>();
  for (const o of group) {
    for (const view of o.views) {
      let g = out.get(view.id);
      if (!g) {
        g = {
          views: reached.has(view.id) ? null : [],
          failReportedBy: [],
          pfailReportedBy: [],
          stateFlags: new Set(),
          anyAddr: null,
          role: undefined,
          epoch: view.configEpoch,
          rolesDiffer: false,
          epochsDiffer: false,
        };
        out.set(view.id, g);
      }
      g.views?.push(view);
      g.anyAddr ??= view.addr;
      if (view.configEpoch !== g.epoch) g.epochsDiffer = true;
      let slave = false;
      let handshake = false;
      for (const f of view.flags) {
        if (f === 'slave') slave = true;
        if (f === 'myself' || f === 'master' || f === 'slave' || f === 'noflags') continue;
        if (f === 'handshake') handshake = true;
        g.stateFlags.add(f);
        if (o.id === view.id) continue;
        if (f === 'fail') g.failReportedBy.push(o.id);
        else if (f === 'fail?') g.pfailReportedBy.push(o.id);
      }
      if (!handshake) {
        const role = slave ? (view.masterId ?? '?') : '-';
        if (g.role === undefined) g.role = role;
        else if (role !== g.role) g.rolesDiffer = true;
      }
    }
  }
  return out;
}

function answersAs(probe: Probe | undefined, id: NodeId): boolean {
  return probe?.outcome === 'ok' && observerId(probe) === id;
}

function mergeNode(
  id: NodeId,
  seen: Gathered,
  own: Observer | undefined,
  probeByAddr: Map<Addr, Probe>,
  podByAddr: Map<Addr, PodInfo>,
): ClusterNode {
  const ownView = own?.byId.get(id);
  const { failReportedBy, pfailReportedBy, stateFlags, anyAddr } = seen;
  // gatherViews kept every line of the nodes we did not reach, and the own line of those we did.
  const chosen = ownView ?? mostCommonView(seen.views!);

  let addr: Addr | null = chosen.addr;
  // Its own line may still carry an old IP (a pod back at a new one without cluster-announce-ip): where it answers wins.
  if (ownView && own && (!ownView.addr || !answersAs(probeByAddr.get(ownView.addr), id)))
    addr = own.probe.addr;
  if (!addr) addr = anyAddr;

  const role: ClusterNode['role'] = chosen.flags.includes('slave') ? 'replica' : 'master';
  const flags: NodeFlag[] = [
    role === 'replica' ? 'slave' : 'master',
    ...STATE_FLAGS.filter((f) => stateFlags.has(f)),
  ];
  if (!chosen.flags.includes('slave') && !chosen.flags.includes('master')) flags.shift();

  const probe = own?.probe ?? (addr ? probeByAddr.get(addr) : undefined);
  // Our probe failed, or the address now answers as another node (an IP taken over by a new pod).
  const probeFailed = probe !== undefined && (probe.outcome !== 'ok' || (observerId(probe) ?? id) !== id);
  // It answered as itself, even if its CLUSTER NODES could not be read.
  const answered = own?.probe ?? (probe && !probeFailed && probe.outcome === 'ok' ? probe : undefined);
  const reachable = answered !== undefined;

  let health: NodeHealth = 'ok';
  if (failReportedBy.length > 0) health = 'fail';
  else if (pfailReportedBy.length > 0) health = 'pfail';
  // A handshake entry has a temporary id: any node answering at its address answers as another id.
  else if (stateFlags.has('handshake')) health = 'handshake';
  else if (!reachable && probeFailed) health = 'unreachable';
  else if (stateFlags.has('noaddr')) health = 'noaddr';

  const node: ClusterNode = {
    id,
    addr,
    role,
    masterId: role === 'replica' ? chosen.masterId : null,
    slots: mergeRanges(chosen.slots),
    migrating: ownView?.migrating ?? [],
    importing: ownView?.importing ?? [],
    configEpoch: chosen.configEpoch,
    flags,
    health,
    reachable,
    failReportedBy,
    pfailReportedBy,
  };
  if (answered) {
    const p = answered;
    if (p.info) node.info = p.info;
    if (p.replication) node.replication = p.replication;
    if (p.persistence) node.persistence = p.persistence;
    if (p.keys !== undefined) node.keys = p.keys;
    if (p.server) node.server = p.server;
  }
  const pod =
    probe?.pod ??
    (addr ? podByAddr.get(addr) : undefined) ??
    (own ? podByAddr.get(own.probe.addr) : undefined);
  if (pod) node.pod = pod;
  return node;
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

function short(id: NodeId): string {
  return id.slice(0, 8);
}

/** Slot ownership, roles and config epochs where the observers of the cluster do not agree. */
function findDisagreements(group: Observer[], seen: Map<NodeId, Gathered>): Disagreement[] {
  if (group.length < 2) return [];
  const out: Disagreement[] = [];
  const label = (o: Observer) => o.probe.addr;

  // Slots: observers grouped by their whole ownership map (an order-free 64-bit hash of its entries),
  // then compared slot by slot once per distinct map.
  const idHash = new Map<NodeId, number>();
  const hashOf = (id: NodeId) => {
    let h = idHash.get(id);
    if (h === undefined) {
      h = fnv1a(id, 0x811c9dc5);
      idHash.set(id, h);
    }
    return h;
  };
  const maps = new Map<string, { observers: Observer[]; owner: Observer }>();
  for (const o of group) {
    let a = 0;
    let b = 0;
    for (const v of o.views) {
      if (v.flags.includes('slave')) continue;
      const h = hashOf(v.id);
      for (const r of v.slots) {
        a = (a + mix(h ^ Math.imul(r.start + 1, 0x9e3779b1) ^ Math.imul(r.end + 1, 0x85ebca6b))) >>> 0;
        b = (b + mix(h + Math.imul(r.end + 7, 0xc2b2ae35) + Math.imul(r.start + 3, 0x27d4eb2f))) >>> 0;
      }
    }
    const key = `${a}:${b}`;
    const m = maps.get(key);
    if (m) m.observers.push(o);
    else maps.set(key, { observers: [o], owner: o });
  }
  if (maps.size > 1) {
    const variants = [...maps.values()];
    const interned: string[] = [''];
    const internIndex = new Map<string, number>();
    const tables = variants.map(({ owner }) => {
      const t = new Int32Array(MAX_SLOT + 1);
      for (const v of owner.views) {
        if (v.flags.includes('slave')) continue;
        let k = internIndex.get(v.id);
        if (k === undefined) {
          k = interned.length;
          interned.push(v.id);
          internIndex.set(v.id, k);
        }
        for (const r of v.slots) t.fill(k, r.start, r.end + 1);
      }
      return t;
    });
    let runStart = -1;
    let runKey = '';
    const flush = (end: number) => {
      if (runStart < 0) return;
      const slots = formatSlotRanges([{ start: runStart, end }]);
      const views: Disagreement['views'] = [];
      variants.forEach((v, i) => {
        const ownerIdx = tables[i]![runStart]!;
        const says = ownerIdx === 0 ? 'nobody' : short(interned[ownerIdx]!);
        for (const o of v.observers) views.push({ observer: label(o), says });
      });
      out.push({
        subject: `owner of slots ${slots}`,
        kind: 'slots',
        slots: [{ start: runStart, end }],
        views,
      });
      runStart = -1;
    };
    for (let s = 0; s <= MAX_SLOT; s++) {
      const first = tables[0]![s]!;
      let differs = false;
      for (let i = 1; i < tables.length; i++) if (tables[i]![s] !== first) differs = true;
      const key = differs ? tables.map((t) => t[s]).join(',') : '';
      if (key !== runKey) {
        flush(s - 1);
        if (differs) runStart = s;
        runKey = key;
      }
    }
    flush(MAX_SLOT);
  }

  // Roles and epochs: per node, what each observer says (only for the nodes the gathering pass found contested).
  for (const [id, g] of seen) {
    const { rolesDiffer, epochsDiffer } = g;
    const addr = g.anyAddr;
    if (!rolesDiffer && !epochsDiffer) continue;
    const roles = new Map<string, Observer[]>();
    const epochs = new Map<number, Observer[]>();
    for (const o of group) {
      const v = o.byId.get(id);
      if (!v) continue;
      if (!v.flags.includes('handshake')) {
        const role = v.flags.includes('slave')
          ? `replica of ${v.masterId ? short(v.masterId) : '?'}`
          : 'master';
        addTo(roles, role, o);
      }
      addTo(epochs, v.configEpoch, o);
    }
    const who = `${addr ?? 'noaddr'} (${short(id)})`;
    if (rolesDiffer) {
      out.push({
        subject: `role of ${who}`,
        kind: 'role',
        nodeId: id,
        views: [...roles].flatMap(([says, os]) => os.map((o) => ({ observer: label(o), says }))),
      });
    }
    if (epochsDiffer) {
      out.push({
        subject: `config epoch of ${who}`,
        kind: 'epoch',
        nodeId: id,
        views: [...epochs].flatMap(([says, os]) =>
          os.map((o) => ({ observer: label(o), says: String(says) })),
        ),
      });
    }
  }
  return out;
}

function addTo<K>(map: Map<K, Observer[]>, key: K, o: Observer): void {
  const list = map.get(key);
  if (list) list.push(o);
  else map.set(key, [o]);
}

/** murmur3's finalizer: spreads the bits of a 32-bit value. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a, 32 bits, from a given offset basis. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
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
