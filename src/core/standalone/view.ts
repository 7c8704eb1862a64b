/**
 * The replication picture of a plain master/replica deployment (`cluster_enabled:0`), built from the
 * probes of a standalone topology: who is master, who follows whom, links, offsets, lag, persistence.
 * Pure.
 */
import type { Addr, PersistenceInfo, PodInfo, Probe, ReplicaLine, SentinelView, Topology } from '../types.ts';

export interface StandaloneNode {
  addr: Addr;
  /** Our probe of that address. */
  probe: Probe;
  /** It answered our probe. */
  reachable: boolean;
  role: 'master' | 'replica' | 'unknown';
  /** Replica: what it says it follows (`master_host:master_port`). */
  follows?: Addr;
  /** Replica: the address of that master in this view (an alias of `follows` when they name it differently). */
  masterAddr?: Addr;
  /** Replica: `master_link_status:up`. */
  linkUp?: boolean;
  linkDownSeconds?: number;
  syncInProgress?: boolean;
  /** Master: `master_repl_offset`; replica: `slave_repl_offset`. */
  offset: number;
  /** Master: its `slaveN:` lines. */
  replicaLines: ReplicaLine[];
  /** Master: the nodes of this view that follow it. */
  replicas: Addr[];
  /** Replica with a reachable master: bytes behind it. */
  lagBytes?: number;
  /** Replica: seconds since its master last heard from it (the master's `lag=` field). */
  lagSeconds?: number;
  persistence?: PersistenceInfo;
  /** AOF on, or RDB snapshots configured; undefined when unknown (CONFIG GET save not allowed). */
  persistent?: boolean;
  keys?: number;
  pod?: PodInfo;
  replid?: string;
}

export interface StandaloneView {
  /** Every address asked, sorted by address. */
  nodes: StandaloneNode[];
  /** Reachable masters. */
  masters: StandaloneNode[];
  /** Reachable replicas. */
  replicas: StandaloneNode[];
  sentinel?: SentinelView;
  /** Some node has `__sentinel__:hello` subscribers: Sentinel watches this deployment. */
  sentinelDetected: boolean;
  /** Sentinel configured or detected: the bot never sends REPLICAOF itself then. */
  sentinelWatched: boolean;
  byAddr(addr: Addr | undefined): StandaloneNode | undefined;
}

export function joinAddr(host: string, port: number): Addr {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function hasPersistence(p: PersistenceInfo | undefined): boolean | undefined {
  if (!p) return undefined;
  if (p.aofEnabled) return true;
  if (p.saveConfig === undefined) return undefined;
  return p.saveConfig.trim() !== '' && p.saveConfig.trim() !== '""';
}

/** Merge the probes of a standalone topology into one replication picture. */
export function buildStandaloneView(topology: Topology): StandaloneView {
  const probeByAddr = new Map<Addr, Probe>();
  for (const p of topology.probes) {
    const prev = probeByAddr.get(p.addr);
    if (!prev || (prev.outcome !== 'ok' && p.outcome === 'ok')) probeByAddr.set(p.addr, p);
  }
  const podByAddr = new Map<Addr, PodInfo>();
  for (const pod of topology.pods ?? []) if (pod.ip) podByAddr.set(joinAddr(pod.ip, pod.port || 6379), pod);

  const nodes: StandaloneNode[] = [];
  for (const [addr, probe] of probeByAddr) {
    const r = probe.replication;
    const reachable = probe.outcome === 'ok';
    const role: StandaloneNode['role'] =
      !reachable || !r ? 'unknown' : r.role === 'master' ? 'master' : 'replica';
    const node: StandaloneNode = {
      addr,
      probe,
      reachable,
      role,
      offset: role === 'replica' ? (r?.slaveReplOffset ?? 0) : (r?.masterReplOffset ?? 0),
      replicaLines: role === 'master' ? (r?.replicas ?? []) : [],
      replicas: [],
    };
    if (role === 'replica' && r?.masterHost !== undefined && r.masterPort !== undefined) {
      node.follows = joinAddr(r.masterHost, r.masterPort);
      node.linkUp = r.masterLinkStatus === 'up';
      if (r.masterLinkDownSinceSeconds !== undefined && r.masterLinkDownSinceSeconds >= 0)
        node.linkDownSeconds = r.masterLinkDownSinceSeconds;
      if (r.masterSyncInProgress !== undefined) node.syncInProgress = r.masterSyncInProgress;
    }
    if (r?.raw.master_replid) node.replid = r.raw.master_replid;
    if (probe.persistence) node.persistence = probe.persistence;
    const persistent = hasPersistence(probe.persistence);
    if (persistent !== undefined) node.persistent = persistent;
    if (probe.keys !== undefined) node.keys = probe.keys;
    const pod = probe.pod ?? podByAddr.get(addr);
    if (pod) node.pod = pod;
    nodes.push(node);
  }
  nodes.sort((a, b) => addrKey(a.addr).localeCompare(addrKey(b.addr)));
  const byAddr = new Map(nodes.map((n) => [n.addr, n] as const));
  const masters = nodes.filter((n) => n.reachable && n.role === 'master');

  // A replica's master: the node at the address it follows, else a master whose replica lines name it
  // (the same node known under another name, e.g. a DNS name vs the pod IP).
  for (const n of nodes) {
    if (n.role !== 'replica' || !n.follows) continue;
    let master = byAddr.get(n.follows);
    if (!master?.reachable) {
      const alias = masters.find((m) => m.replicaLines.some((l) => joinAddr(l.ip, l.port) === n.addr));
      if (alias && (!n.replid || n.replid === alias.replid)) master = alias;
    }
    n.masterAddr = master?.addr ?? n.follows;
    if (master?.reachable && master.role === 'master') {
      master.replicas.push(n.addr);
      n.lagBytes = Math.max(0, master.offset - n.offset);
      const line = master.replicaLines.find((l) => joinAddr(l.ip, l.port) === n.addr);
      if (line) n.lagSeconds = line.lag;
    }
  }

  const sentinelDetected = nodes.some((n) => (n.probe.sentinelSubscribers ?? 0) > 0);
  return {
    nodes,
    masters,
    replicas: nodes.filter((n) => n.reachable && n.role === 'replica'),
    ...(topology.sentinel ? { sentinel: topology.sentinel } : {}),
    sentinelDetected,
    sentinelWatched: sentinelDetected || topology.sentinel !== undefined,
    byAddr: (addr) => (addr === undefined ? undefined : byAddr.get(addr)),
  };
}

/** Reachable replicas that follow `master` (by resolved address). */
export function replicasOf(view: StandaloneView, master: Addr): StandaloneNode[] {
  return view.replicas.filter((r) => r.masterAddr === master);
}

/** The best replica to promote: the highest offset, then link up, then the lowest address. */
export function bestReplica(candidates: StandaloneNode[]): StandaloneNode | undefined {
  return [...candidates].sort(
    (a, b) =>
      b.offset - a.offset ||
      Number(b.linkUp ?? false) - Number(a.linkUp ?? false) ||
      addrKey(a.addr).localeCompare(addrKey(b.addr)),
  )[0];
}

/** `127.0.0.1:6379`, plus the pod name when known. */
export function describeStandalone(n: Pick<StandaloneNode, 'addr' | 'pod'> | undefined, addr?: Addr): string {
  if (!n) return addr ?? '?';
  return n.pod ? `${n.addr} (pod ${n.pod.name})` : n.addr;
}

/** Numeric-aware sort key: 10.0.0.9 before 10.0.0.10. */
function addrKey(addr: Addr): string {
  return addr.replace(/\d+/g, (d) => String.fromCharCode(64 + d.length) + d);
}

/**
 * Addresses a non-cluster node's `INFO replication` names: its replicas (`slaveN:ip,port`) and its master
 * (`master_host:master_port`). The scanner probes them too, so one seed reveals the whole set.
 */
export function replicationAddrs(probe: Probe): Addr[] {
  if (probe.outcome !== 'ok' || probe.clusterEnabled !== false || !probe.replication) return [];
  const r = probe.replication;
  const out: Addr[] = r.replicas.map((l) => joinAddr(l.ip, l.port));
  if (r.role === 'slave' && r.masterHost && r.masterPort) out.push(joinAddr(r.masterHost, r.masterPort));
  return out;
}
