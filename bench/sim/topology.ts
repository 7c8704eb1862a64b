/**
 * Generated cluster topologies for the simulated Redis nodes (bench/sim/resp-server.ts): many clusters of
 * many nodes on loopback addresses (127.77.<cluster>.<node>), each node with its own `CLUSTER NODES` view
 * (its `myself` line, its own ping/pong times), and some nodes slow or frozen as the scenario asks.
 */
import { createHash } from 'node:crypto';

export interface SimNode {
  cluster: number;
  id: string;
  host: string;
  port: number;
  role: 'master' | 'replica';
  masterId?: string;
  slots?: [number, number];
  /** Config epoch: each master its own, replicas their master's. */
  epoch: number;
  /** Replies after this many ms (a busy node). */
  delayMs: number;
  /** Accepts connections and never answers (SIGSTOP-like). Its peers see it as failed. */
  frozen: boolean;
}

export interface SimScenario {
  clusters: number;
  nodesPerCluster: number;
  /** Replicas per master (60 nodes, 2 → 20 masters). */
  replicasPerMaster: number;
  /** One frozen replica in each of the first N clusters. */
  clustersWithFrozenNode: number;
  /** One slow node (delayMs) in each of the next N clusters. */
  clustersWithSlowNode: number;
  slowDelayMs: number;
  port: number;
}

/** Deterministic 40-hex node id. */
function nodeId(cluster: number, i: number): string {
  return createHash('sha1').update(`sim-${cluster}-${i}`).digest('hex');
}

/** Every node of every cluster, masters first in each cluster. */
export function generateTopology(s: SimScenario): SimNode[][] {
  const out: SimNode[][] = [];
  const perShard = 1 + s.replicasPerMaster;
  for (let c = 0; c < s.clusters; c++) {
    const masters = Math.max(1, Math.floor(s.nodesPerCluster / perShard));
    const nodes: SimNode[] = [];
    for (let i = 0; i < s.nodesPerCluster; i++) {
      const isMaster = i < masters;
      const shard = isMaster ? i : (i - masters) % masters;
      const start = Math.floor((shard * 16384) / masters);
      const end = Math.floor(((shard + 1) * 16384) / masters) - 1;
      nodes.push({
        cluster: c,
        id: nodeId(c, i),
        host: `127.77.${c}.${i + 1}`,
        port: s.port,
        role: isMaster ? 'master' : 'replica',
        ...(isMaster ? { slots: [start, end] as [number, number] } : { masterId: nodeId(c, shard) }),
        epoch: shard + 1,
        delayMs: 0,
        frozen: false,
      });
    }
    if (c < s.clustersWithFrozenNode) nodes[nodes.length - 1]!.frozen = true;
    else if (c < s.clustersWithFrozenNode + s.clustersWithSlowNode)
      nodes[nodes.length - 2]!.delayMs = s.slowDelayMs;
    out.push(nodes);
  }
  return out;
}

/** `CLUSTER NODES` as `self` sees its cluster at `now` (ping/pong times move every second, as Redis's do). */
export function clusterNodesText(self: SimNode, cluster: SimNode[], now: number): string {
  const pong = Math.floor(now / 1000) * 1000;
  let out = '';
  for (const n of cluster) {
    const flags = [
      n === self ? 'myself' : '',
      n.role === 'master' ? 'master' : 'slave',
      n.frozen ? 'fail' : '',
    ]
      .filter(Boolean)
      .join(',');
    const link = n.frozen ? 'disconnected' : 'connected';
    const slots = n.slots ? ` ${n.slots[0]}-${n.slots[1]}` : '';
    const pongRecv = n === self ? 0 : n.frozen ? pong - 60_000 : pong;
    out += `${n.id} ${n.host}:${n.port}@${n.port + 10000} ${flags} ${n.masterId ?? '-'} 0 ${pongRecv} ${n.epoch} ${link}${slots}\n`;
  }
  return out;
}

/** `CLUSTER INFO`: ok unless a master is frozen. */
export function clusterInfoText(cluster: SimNode[]): string {
  const masters = cluster.filter((n) => n.role === 'master');
  const down = masters.some((m) => m.frozen);
  return [
    `cluster_state:${down ? 'fail' : 'ok'}`,
    'cluster_slots_assigned:16384',
    'cluster_slots_ok:16384',
    'cluster_slots_pfail:0',
    'cluster_slots_fail:0',
    `cluster_known_nodes:${cluster.length}`,
    `cluster_size:${masters.length}`,
    `cluster_current_epoch:${masters.length}`,
    'cluster_my_epoch:1',
    '',
  ].join('\r\n');
}

/** `INFO` with the sections asked (all of them when none is named). */
export function infoText(self: SimNode, cluster: SimNode[], sections: string[]): string {
  const want = (s: string) => sections.length === 0 || sections.includes(s) || sections.includes('all');
  const parts: string[] = [];
  if (want('server')) parts.push('# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n');
  if (want('replication')) {
    if (self.role === 'master') {
      const replicas = cluster.filter((n) => n.masterId === self.id && !n.frozen);
      const lines = replicas.map(
        (r, i) => `slave${i}:ip=${r.host},port=${r.port},state=online,offset=1000,lag=0\r\n`,
      );
      parts.push(
        `# Replication\r\nrole:master\r\nconnected_slaves:${replicas.length}\r\n${lines.join('')}master_repl_offset:1000\r\n`,
      );
    } else {
      const m = cluster.find((n) => n.id === self.masterId)!;
      parts.push(
        `# Replication\r\nrole:slave\r\nmaster_host:${m.host}\r\nmaster_port:${m.port}\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:1\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:1000\r\nconnected_slaves:0\r\nmaster_repl_offset:1000\r\n`,
      );
    }
  }
  if (want('persistence'))
    parts.push(
      '# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:1\r\naof_last_write_status:ok\r\n',
    );
  if (want('cluster')) parts.push('# Cluster\r\ncluster_enabled:1\r\n');
  if (want('keyspace')) parts.push('# Keyspace\r\ndb0:keys=1000,expires=0,avg_ttl=0\r\n');
  return parts.join('\r\n');
}
