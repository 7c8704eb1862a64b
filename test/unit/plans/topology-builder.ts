/** Hand-made topologies for planner tests: a few lines per scenario instead of CLUSTER NODES text. */
import type { ClusterNode, NodeView, PodInfo, Probe, SlotRange, Topology } from '../../../src/core/types.ts';

export const id = (c: string) => c.repeat(40).slice(0, 40);

/** The ids of a three-master, one-replica-each cluster: masters M1..M3 (a, b, c), replicas R1..R3 (d, e, f). */
export const SIX = { M1: id('a'), M2: id('b'), M3: id('c'), R1: id('d'), R2: id('e'), R3: id('f') };

export interface NodeSpec {
  id: string;
  port: number;
  role?: 'master' | 'replica';
  masterId?: string;
  slots?: SlotRange[];
  health?: ClusterNode['health'];
  reachable?: boolean;
  offset?: number;
  linkUp?: boolean;
  keys?: number;
  k8sNode?: string;
  flags?: ClusterNode['flags'];
  migrating?: ClusterNode['migrating'];
  importing?: ClusterNode['importing'];
  noPersistence?: boolean;
}

export const addrOf = (port: number) => `10.0.0.1:${port}`;

function pod(name: string, port: number, k8sNode?: string): PodInfo {
  return {
    name,
    namespace: 'redis',
    ip: '10.0.0.1',
    phase: 'Running',
    ready: true,
    restarts: 0,
    nodeName: k8sNode ?? null,
    port,
  };
}

export function node(s: NodeSpec): ClusterNode {
  const role = s.role ?? 'master';
  const health = s.health ?? 'ok';
  const reachable = s.reachable ?? health === 'ok';
  const n: ClusterNode = {
    id: s.id,
    addr: health === 'noaddr' ? null : addrOf(s.port),
    role,
    masterId: role === 'replica' ? (s.masterId ?? null) : null,
    slots: s.slots ?? [],
    migrating: s.migrating ?? [],
    importing: s.importing ?? [],
    configEpoch: 1,
    flags: s.flags ?? [role === 'master' ? 'master' : 'slave'],
    health,
    reachable,
    failReportedBy: health === 'fail' ? ['x'] : [],
    pfailReportedBy: health === 'pfail' ? ['x'] : [],
  };
  if (reachable) {
    n.keys = s.keys ?? 0;
    n.replication =
      role === 'replica'
        ? {
            role: 'slave',
            connectedSlaves: 0,
            masterReplOffset: s.offset ?? 0,
            slaveReplOffset: s.offset ?? 0,
            masterLinkStatus: s.linkUp === false ? 'down' : 'up',
            replicas: [],
            raw: {},
          }
        : { role: 'master', connectedSlaves: 0, masterReplOffset: s.offset ?? 0, replicas: [], raw: {} };
    n.persistence = {
      aofEnabled: !s.noPersistence,
      loading: false,
      rdbChangesSinceLastSave: 0,
      rdbLastBgsaveStatus: 'ok',
      aofLastWriteStatus: 'ok',
      saveConfig: s.noPersistence ? '' : '3600 1',
    };
  }
  if (s.k8sNode) n.pod = pod(`redis-${s.port}`, s.port, s.k8sNode);
  return n;
}

function view(n: ClusterNode, self: boolean): NodeView {
  const [host, port] = (n.addr ?? ':0').split(':');
  return {
    id: n.id,
    addr: n.addr,
    host: host ?? '',
    port: Number(port),
    flags: [...(self ? (['myself'] as const) : []), ...n.flags],
    masterId: n.masterId,
    pingSent: 0,
    pongRecv: 0,
    configEpoch: n.configEpoch,
    link: 'connected',
    slots: n.slots,
    migrating: self ? n.migrating : [],
    importing: self ? n.importing : [],
  };
}

export function outsider(port: number, myId: string, opts: { keys?: number; k8sNode?: string } = {}): Probe {
  const p: Probe = {
    addr: addrOf(port),
    source: 'seed',
    outcome: 'ok',
    ms: 1,
    clusterEnabled: true,
    myId,
    keys: opts.keys ?? 0,
    nodes: [],
  };
  if (opts.k8sNode) p.pod = pod(`redis-new-${port}`, port, opts.k8sNode);
  return p;
}

export function topology(nodes: ClusterNode[], outsiders: Probe[] = []): Topology {
  const probes: Probe[] = nodes.map((n) =>
    n.reachable
      ? {
          addr: n.addr!,
          source: 'seed',
          outcome: 'ok',
          ms: 1,
          myId: n.id,
          nodes: nodes.map((o) => view(o, o === n)),
        }
      : { addr: n.addr ?? '0.0.0.0:0', source: 'gossip', outcome: 'refused', ms: 1 },
  );
  for (const o of outsiders) {
    const i = probes.findIndex((p) => p.addr === o.addr);
    if (i >= 0) probes[i] = o;
    else probes.push(o);
  }
  return {
    cluster: 'test',
    mode: 'cluster',
    takenAt: 1,
    probes,
    nodes,
    outsiders,
    disagreements: [],
    fingerprint: 'fp-1',
    ...(nodes.some((n) => n.pod) ? { pods: nodes.flatMap((n) => (n.pod ? [n.pod] : [])) } : {}),
  };
}

export const THIRDS: SlotRange[][] = [
  [{ start: 0, end: 5460 }],
  [{ start: 5461, end: 10922 }],
  [{ start: 10923, end: 16383 }],
];

export const ctx = { cluster: 'test', requestedBy: 'U1', now: 1_000, ttlMs: 900_000 };
