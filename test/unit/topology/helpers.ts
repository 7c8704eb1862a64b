import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseClusterInfo, parseClusterNodes } from '../../../src/core/topology/index.ts';
import type { ClusterInfo, NodeView, PodInfo, Probe, ProbeOutcome } from '../../../src/core/types.ts';

const fixturesDir = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Text of `test/fixtures/<path>`. */
export function fixture(path: string): string {
  return readFileSync(`${fixturesDir}${path}`, 'utf8');
}

/** Parsed `CLUSTER NODES` fixture, failing loudly when it does not parse. */
export function nodesFixture(name: string): NodeView[] {
  const r = parseClusterNodes(fixture(`cluster-nodes/${name}`));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** The same listing as another node would print it: `myself` moves to that node's line. */
export function asSeenBy(views: NodeView[], observerId: string): NodeView[] {
  return views.map((v) => ({
    ...v,
    flags:
      v.id === observerId
        ? ['myself', ...v.flags.filter((f) => f !== 'myself')]
        : v.flags.filter((f) => f !== 'myself'),
  }));
}

export function clusterInfo(overrides: Partial<ClusterInfo> = {}): ClusterInfo {
  const r = parseClusterInfo('cluster_state:ok\ncluster_slots_assigned:16384\ncluster_slots_ok:16384\n');
  if (!r.ok) throw new Error(r.error);
  return { ...r.value, ...overrides };
}

export interface ListingProbeOptions {
  /** Outcome of probing a node's address; default: `refused` for nodes flagged fail, `ok` otherwise. */
  outcomes?: Record<string, ProbeOutcome>;
  /** Per-address changes to the answering probe (info, replication, persistence…). */
  extra?: Record<string, Partial<Probe>>;
  /** Address of the first probe, marked as the seed. */
  seed?: string;
}

/**
 * What a scan of a cluster whose every live node prints `listing` would produce:
 * one probe per listed address, each answering node seeing the same lines from its own point of view.
 */
export function probesFromListing(listing: NodeView[], opts: ListingProbeOptions = {}): Probe[] {
  const probes: Probe[] = [];
  for (const v of listing) {
    if (!v.addr) continue;
    const outcome = opts.outcomes?.[v.addr] ?? (v.flags.includes('fail') ? 'refused' : 'ok');
    const source = v.addr === opts.seed ? 'seed' : 'gossip';
    if (outcome !== 'ok') {
      probes.push({ addr: v.addr, source, outcome, ms: 1, error: errorFor(outcome) });
      continue;
    }
    probes.push({
      addr: v.addr,
      source,
      outcome: 'ok',
      ms: 1,
      clusterEnabled: true,
      myId: v.id,
      nodes: asSeenBy(listing, v.id),
      info: clusterInfo({ knownNodes: listing.length }),
      ...opts.extra?.[v.addr],
    });
  }
  return probes;
}

export function errorFor(outcome: ProbeOutcome): string {
  if (outcome === 'refused') return 'connect ECONNREFUSED';
  if (outcome === 'timeout') return 'no answer within 1000 ms';
  return 'ERR something went wrong';
}

/** A fresh node answering alone: it knows only itself (`cluster_known_nodes:1`, `cluster_state:fail`). */
export function aloneProbe(
  addr: string,
  id: string,
  source: Probe['source'] = 'extra',
  pod?: PodInfo,
): Probe {
  const r = parseClusterNodes(
    `${id} :${addr.split(':')[1]}@1${addr.split(':')[1]} myself,master - 0 0 0 connected`,
  );
  if (!r.ok) throw new Error(r.error);
  const probe: Probe = {
    addr,
    source,
    outcome: 'ok',
    ms: 1,
    clusterEnabled: true,
    myId: id,
    nodes: r.value,
    info: clusterInfo({ state: 'fail', knownNodes: 1, slotsAssigned: 0, slotsOk: 0, size: 0 }),
  };
  if (pod) probe.pod = pod;
  return probe;
}

/** `kubectl get pod -o wide` style table → pods (Running, ready from the READY column). */
export function podsFromTable(text: string, namespace = 'default'): PodInfo[] {
  const pods: PodInfo[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 7) continue;
    const [name, ready, phase, restarts, , ip, nodeName] = cols as string[];
    const [up, total] = (ready ?? '0/1').split('/');
    pods.push({
      name: name!,
      namespace,
      ip: ip === '<none>' ? null : ip!,
      phase: phase!,
      ready: up === total,
      restarts: Number(restarts),
      nodeName: nodeName === '<none>' ? null : nodeName!,
      port: 6379,
    });
  }
  return pods;
}

/** `rcc endpoints` table → ip / pod name pairs. */
export function endpointsFromTable(text: string): { ip: string; name: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c.length >= 2 && /^\d+\.\d+\.\d+\.\d+$/.test(c[0]!))
    .map(([ip, name]) => ({ ip: ip!, name: name! }));
}
