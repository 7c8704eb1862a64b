/** Standalone topologies built from INFO text, the way the scanner would see them. */
import { buildTopology } from '../../src/core/topology/build-topology.ts';
import { parsePersistenceInfo, parseReplicationInfo } from '../../src/core/topology/parse-info.ts';
import type { PodInfo, Probe, SentinelView, Topology } from '../../src/core/types.ts';

export interface MasterSpec {
  addr: string;
  offset?: number;
  replicas?: { addr: string; offset?: number; lag?: number; state?: string }[];
  aof?: boolean;
  save?: string | undefined;
  keys?: number;
  replid?: string;
  sentinelSubscribers?: number;
  pod?: PodInfo;
}

export interface ReplicaSpec {
  addr: string;
  follows: string;
  offset?: number;
  link?: 'up' | 'down';
  downSince?: number;
  aof?: boolean;
  save?: string;
  keys?: number;
  replid?: string;
  sentinelSubscribers?: number;
  pod?: PodInfo;
}

function split(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

function persistence(aof: boolean, save: string | undefined) {
  const r = parsePersistenceInfo(
    `# Persistence\r\nloading:0\r\naof_enabled:${aof ? 1 : 0}\r\nrdb_changes_since_last_save:3\r\nrdb_last_bgsave_status:ok\r\naof_last_write_status:ok\r\n`,
    save,
  );
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function masterProbe(m: MasterSpec): Probe {
  const lines = (m.replicas ?? []).map((r, i) => {
    const [ip, port] = split(r.addr);
    return `slave${i}:ip=${ip},port=${port},state=${r.state ?? 'online'},offset=${r.offset ?? m.offset ?? 1000},lag=${r.lag ?? 0}`;
  });
  const text = [
    '# Replication',
    'role:master',
    `connected_slaves:${lines.length}`,
    ...lines,
    `master_replid:${m.replid ?? 'aaaa'}`,
    `master_repl_offset:${m.offset ?? 1000}`,
  ].join('\r\n');
  const r = parseReplicationInfo(text);
  if (!r.ok) throw new Error(r.error);
  return {
    addr: m.addr,
    source: 'seed',
    outcome: 'ok',
    ms: 1,
    clusterEnabled: false,
    replication: r.value,
    persistence: persistence(m.aof ?? false, 'save' in m ? m.save : ''),
    keys: m.keys ?? 10,
    ...(m.sentinelSubscribers ? { sentinelSubscribers: m.sentinelSubscribers } : {}),
    ...(m.pod ? { pod: m.pod } : {}),
  };
}

export function replicaProbe(r: ReplicaSpec): Probe {
  const [host, port] = split(r.follows);
  const link = r.link ?? 'up';
  const text = [
    '# Replication',
    'role:slave',
    `master_host:${host}`,
    `master_port:${port}`,
    `master_link_status:${link}`,
    'master_last_io_seconds_ago:1',
    'master_sync_in_progress:0',
    `slave_repl_offset:${r.offset ?? 1000}`,
    ...(link === 'down' ? [`master_link_down_since_seconds:${r.downSince ?? 12}`] : []),
    'connected_slaves:0',
    `master_replid:${r.replid ?? 'aaaa'}`,
    `master_repl_offset:${r.offset ?? 1000}`,
  ].join('\r\n');
  const parsed = parseReplicationInfo(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return {
    addr: r.addr,
    source: 'gossip',
    outcome: 'ok',
    ms: 1,
    clusterEnabled: false,
    replication: parsed.value,
    persistence: persistence(r.aof ?? false, r.save ?? ''),
    keys: r.keys ?? 10,
    ...(r.sentinelSubscribers ? { sentinelSubscribers: r.sentinelSubscribers } : {}),
    ...(r.pod ? { pod: r.pod } : {}),
  };
}

export function downProbe(addr: string, outcome: Probe['outcome'] = 'refused'): Probe {
  return { addr, source: 'gossip', outcome, ms: 1, error: `${addr} refused the connection` };
}

export function standalone(
  probes: Probe[],
  extra: { pods?: PodInfo[]; sentinel?: SentinelView } = {},
): Topology {
  const t = buildTopology('plain', probes, { takenAt: 1, ...(extra.pods ? { pods: extra.pods } : {}) });
  if (extra.sentinel) t.sentinel = extra.sentinel;
  return t;
}

export function pod(name: string, ip: string, port = 6379): PodInfo {
  return {
    name,
    namespace: 'redis-mr',
    ip,
    phase: 'Running',
    ready: true,
    restarts: 0,
    nodeName: 'k8s-a',
    port,
    uid: `uid-${name}`,
    createdAt: 1,
  };
}

export function sentinelView(
  masterAddr: string,
  opts: { flags?: string; names?: string[] } = {},
): SentinelView {
  const addrs = ['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'];
  return {
    masterName: 'orders',
    answers: addrs.map((addr, i) => ({
      addr,
      outcome: 'ok' as const,
      masterAddr: opts.names?.[i] ?? masterAddr,
      flags: opts.flags ?? 'master',
      quorum: 2,
      replicas: [],
      numOtherSentinels: 2,
    })),
    masterAddr,
    agreeing: 3,
    quorum: 2,
  };
}

export const ctx = { cluster: 'plain', requestedBy: 'U1', now: 1000, ttlMs: 60_000, id: 'p-test000001' };
