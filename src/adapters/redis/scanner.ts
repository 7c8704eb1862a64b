import { readSentinelView, sentinelNamedAddrs } from '../../app/sentinel.ts';
import { countSuspectSlotKeys } from '../../app/slot-keys.ts';
import {
  type Clock,
  type ClusterDefinition,
  type NodeCommander,
  type PodApi,
  systemClock,
  type TopologySource,
} from '../../core/ports.ts';
import { replicationAddrs } from '../../core/standalone/view.ts';
import { buildTopology } from '../../core/topology/build-topology.ts';
import { type ClusterNodesCache, createClusterNodesCache } from '../../core/topology/parse-cache.ts';
import { readDigest } from '../../core/topology/read-digest.ts';
import type { Addr, PodInfo, Probe, Topology } from '../../core/types.ts';
import { createNodeCommander } from './node-commander.ts';
import { probeNode } from './probe.ts';

export interface ScanOptions {
  /** Per-node bound (connect + commands), ms. Default 1000. */
  timeoutMs?: number;
  /** Reused across scans when given (and then not closed); else one is made for this scan and closed. */
  commander?: NodeCommander;
  /** More addresses to ask besides the seeds, e.g. live endpoints from elsewhere. */
  extraAddrs?: Addr[];
  /** Pods of the cluster: each pod with an IP is probed too, and attached to its probe. */
  pods?: PodInfo[];
  /** Why the pods could not be listed (the picture is then Redis-only). */
  podError?: string;
  clock?: Clock;
  /** Parsed `CLUSTER NODES` texts kept across scans (a source's scans share one); else one for this scan. */
  nodesCache?: ClusterNodesCache;
  /** Observe `redis_medic_scan_duration_seconds` (default true). The CLI turns it off: no prom-client to load. */
  recordMetrics?: boolean;
}

// Loaded on first use, so a one-shot CLI run does not pay for prom-client.
let metrics: Promise<typeof import('../../metrics.ts')> | undefined;
function observeScan(cluster: string, seconds: number): void {
  metrics ??= import('../../metrics.ts');
  void metrics.then((m) => m.scanDuration.observe({ cluster }, seconds));
}

function podAddr(pod: PodInfo): Addr | null {
  return pod.ip ? `${pod.ip.includes(':') ? `[${pod.ip}]` : pod.ip}:${pod.port || 6379}` : null;
}

/** Addresses a node's view names that we could connect to (`myself` with an unknown IP: the probed host). */
function reportedAddrs(probe: Probe): Addr[] {
  const out: Addr[] = [];
  for (const v of probe.nodes ?? []) {
    if (v.addr) out.push(v.addr);
    else if (v.flags.includes('myself') && v.host === '' && v.port > 0) {
      const host = probe.addr.slice(0, probe.addr.lastIndexOf(':'));
      out.push(`${host}:${v.port}`);
    }
  }
  return out;
}

/** A scan's picture, and the digest of the answers it was made from (read-digest.ts). */
interface DigestedScan {
  topology: Topology;
  digest: string;
}

/**
 * Read the topology of one cluster: probe the seeds, extra addresses and pod addresses at once, then every
 * new address any node reports as soon as it is learnt; all in parallel, each bounded by `timeoutMs`, so a
 * frozen node delays nothing but its own probe. Then merge with `buildTopology`.
 */
export async function scanCluster(def: ClusterDefinition, opts: ScanOptions = {}): Promise<Topology> {
  return (await scanDigested(def, opts)).topology;
}

/** `scanCluster`, plus the digest; with `reuse` and an equal digest, `reuse.topology` itself (no merge). */
async function scanDigested(
  def: ClusterDefinition,
  opts: ScanOptions & { reuse?: DigestedScan },
): Promise<DigestedScan> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const clock = opts.clock ?? systemClock;
  const commander = opts.commander ?? createNodeCommander(def.auth, { timeoutMs });
  const nodesCache = opts.nodesCache ?? createClusterNodesCache();
  // Views shared with the cache, ping/pong times included (see NodeView): no copy per node and line.
  const probeOpts = { parseNodes: nodesCache.peek };
  const t0 = performance.now();
  const takenAt = clock.now();
  const podByAddr = new Map<Addr, PodInfo>();
  for (const pod of opts.pods ?? []) {
    const a = podAddr(pod);
    if (a) podByAddr.set(a, pod);
  }

  const seen = new Set<Addr>();
  const probes: Probe[] = [];
  const inFlight = new Set<Promise<void>>();

  const ask = (addr: Addr, source: Probe['source']) => {
    if (seen.has(addr)) return;
    seen.add(addr);
    const p = probeNode(commander, addr, source, timeoutMs, probeOpts).then((probe) => {
      const pod = podByAddr.get(addr);
      if (pod) probe.pod = pod;
      probes.push(probe);
      if (probe.outcome === 'ok') for (const a of reportedAddrs(probe)) ask(a, 'gossip');
      // Plain master/replica nodes name each other in INFO replication (issue 10).
      for (const a of replicationAddrs(probe)) ask(a, 'gossip');
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  // Configured Sentinels: read them alongside, and probe the data nodes they name (issue 10).
  const sentinelRead = def.sentinels?.length
    ? readSentinelView(commander, def.sentinels, def.sentinelMaster, timeoutMs).then((view) => {
        for (const a of sentinelNamedAddrs(view)) ask(a, 'extra');
        return view;
      })
    : undefined;
  let sentinel: Awaited<typeof sentinelRead>;
  let topology: Topology;
  let digest: string;
  try {
    for (const a of def.seeds) ask(a, 'seed');
    for (const a of opts.extraAddrs ?? []) ask(a, 'extra');
    for (const a of podByAddr.keys()) ask(a, 'pod');
    sentinel = await sentinelRead;
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    nodesCache.retain(seen);
    if (opts.recordMetrics !== false) observeScan(def.name, (performance.now() - t0) / 1000);
    digest = readDigest(probes, nodesCache.shapeOf, opts.pods, opts.podError);
    if (opts.reuse?.digest === digest && !sentinel) return opts.reuse;
    // Stable order for printing and fingerprints: by address.
    probes.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    topology = buildTopology(def.name, probes, {
      takenAt,
      ...(opts.pods ? { pods: opts.pods } : {}),
      ...(opts.podError !== undefined ? { podError: opts.podError } : {}),
    });
    // Keys of suspect slots on every reachable master (issue 14): stray keys are invisible otherwise.
    const slotKeys = await countSuspectSlotKeys(commander, topology, timeoutMs);
    if (slotKeys.length > 0) topology.slotKeys = slotKeys;
  } finally {
    // A pool of its own is closed once the caller has the picture: closing 60 sockets costs a few ms of CPU.
    if (!opts.commander) setImmediate(() => void commander.close());
  }
  if (sentinel) topology.sentinel = sentinel;
  if (def.auth.password) topology.auth = def.auth.username ? { username: def.auth.username } : {};
  return { topology, digest };
}

export interface TopologySourceOptions extends Omit<ScanOptions, 'pods' | 'podError'> {
  /** With `def.k8s`: list the pods on every scan (a failure becomes `podError`). */
  podApi?: PodApi;
}

/** A `TopologySource` for one cluster: every `scan()` is a fresh `scanCluster`. */
export function createTopologySource(
  def: ClusterDefinition,
  opts: TopologySourceOptions = {},
): TopologySource {
  const { podApi, ...scanOpts } = opts;
  // Each scan reparses only what changed since the last one.
  const nodesCache = opts.nodesCache ?? createClusterNodesCache();
  let last: DigestedScan | undefined;
  return {
    async scan(o) {
      let pods: PodInfo[] | undefined;
      let podError: string | undefined;
      if (podApi && def.k8s) {
        try {
          pods = await podApi.listPods(def.k8s.namespace, def.k8s.selector);
        } catch (err) {
          podError = err instanceof Error ? err.message : String(err);
        }
      }
      last = await scanDigested(def, {
        ...scanOpts,
        nodesCache,
        ...(o?.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(pods ? { pods } : {}),
        ...(podError !== undefined ? { podError } : {}),
        ...(o?.reuseUnchanged && last ? { reuse: last } : {}),
      });
      return last.topology;
    },
  };
}
