/** Scans of clusters whose pods came back at new IPs, built from CLUSTER NODES text (unit tests). */
import { planForFindings } from '../../../src/core/plans/planner.ts';
import { analyzeTopology, buildTopology, parseClusterNodes } from '../../../src/core/topology/index.ts';
import type { Probe, Topology } from '../../../src/core/types.ts';
import { clusterInfo } from './helpers.ts';

export const id = (c: string) => c.repeat(40);

export interface Pod {
  id: string;
  /** Where it answers now. */
  now: string;
  replicaOf?: string;
  slots?: string;
  keys?: number;
  /** A replica's link to its master (at the master's current address); default up. */
  linkUp?: boolean;
  /** Where a replica syncs from (default its master's current address). */
  syncsFrom?: string;
}

/** INFO replication of a replica: its master's current address and link state. */
function replicationOf(o: Pod, all: Pod[]): Partial<Probe> {
  const master = all.find((m) => m.id === o.replicaOf);
  if (!master) return {};
  const from = o.syncsFrom ?? master.now;
  const i = from.lastIndexOf(':');
  return {
    replication: {
      role: 'slave',
      connectedSlaves: 0,
      masterReplOffset: 100,
      slaveReplOffset: 100,
      replicas: [],
      masterHost: from.slice(0, i),
      masterPort: Number(from.slice(i + 1)),
      masterLinkStatus: o.linkUp === false ? 'down' : 'up',
      ...(o.linkUp === false ? { masterLinkDownSinceSeconds: -1 } : {}),
      raw: {},
    },
  };
}

/** How `observer` lists `other`: its address and extra flags (default: where it is now, healthy). */
export type Listing = (
  observer: Pod,
  other: Pod,
) => { addr: string; flags?: string; link?: 'connected' | 'disconnected' } | undefined;

const SLOTS = ['0-5460', '5461-10921', '10922-16383'];

export function pods(addrs: string[]): Pod[] {
  return addrs.map((now, i) => ({
    id: id('abcdef'[i]!),
    now,
    ...(i < 3 ? { slots: SLOTS[i] } : { replicaOf: id('abcdef'[i - 3]!) }),
    keys: i < 3 ? 100 : 100,
  }));
}

/** A scan of `all`: each answers at `now` with CLUSTER NODES as `listing` says; stale addresses refuse. */
export function scan(all: Pod[], listing: Listing, extra: Probe[] = []): Topology {
  const probes: Probe[] = [];
  const stale = new Set<string>();
  for (const o of all) {
    const lines = all.map((n) => {
      const l = n === o ? { addr: o.now, flags: 'myself' } : listing(o, n);
      if (!l) return '';
      if (l.addr !== n.now) stale.add(l.addr);
      const role = n.replicaOf ? 'slave' : 'master';
      const flags = [l.flags, role].filter(Boolean).join(',');
      return `${n.id} ${l.addr}@1${l.addr.split(':')[1]} ${flags} ${n.replicaOf ?? '-'} 0 0 1 ${l.addr === n.now ? 'connected' : (l.link ?? 'disconnected')} ${n.slots ?? ''}`.trim();
    });
    const parsed = parseClusterNodes(lines.filter(Boolean).join('\n'));
    if (!parsed.ok) throw new Error(parsed.error);
    probes.push({
      addr: o.now,
      source: 'seed',
      outcome: 'ok',
      ms: 1,
      myId: o.id,
      nodes: parsed.value,
      info: clusterInfo({ state: 'fail' }),
      ...(o.keys !== undefined ? { keys: o.keys } : {}),
      ...replicationOf(o, all),
    });
  }
  for (const a of stale)
    if (!probes.some((p) => p.addr === a))
      probes.push({ addr: a, source: 'gossip', outcome: 'refused', ms: 1 });
  return buildTopology('t', [...probes, ...extra], { takenAt: 0 });
}

export const plan = (t: Topology) =>
  planForFindings(t, analyzeTopology(t), { cluster: 't', requestedBy: 'U1', now: 0, ttlMs: 60_000 });

export const OLD = ['10.0.3.1', '10.0.3.2', '10.0.3.3', '10.0.3.4', '10.0.3.5', '10.0.3.6'].map(
  (h) => `${h}:6379`,
);
export const NEW = ['10.0.5.1', '10.0.5.2', '10.0.5.3', '10.0.5.4', '10.0.5.5', '10.0.5.6'].map(
  (h) => `${h}:6379`,
);
export const oldOf = (p: Pod) => OLD[NEW.indexOf(p.now)]!;
