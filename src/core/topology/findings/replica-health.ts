import type { ClusterNode, Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, isDown, nodeLabel, type RuleContext, replicaNeverSynced } from './shared.ts';

/** Replicas that never synced, lost their link, lag behind, or cannot fail over (in that order per replica). */
export const codes = [
  FindingCodes.ReplicaNeverSynced,
  FindingCodes.ReplicaLinkDown,
  FindingCodes.ReplicaLagging,
  FindingCodes.ReplicaCannotFailover,
];

/** A replica and its master (when known), as the per-replica checks read them. */
interface Pair {
  r: ClusterNode;
  master: ClusterNode | undefined;
  masterDown: boolean;
}

export function find(topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const r of topology.nodes) {
    if (r.role !== 'replica') continue;
    const master = r.masterId ? ctx.index.byId.get(r.masterId) : undefined;
    const pair: Pair = { r, master, masterDown: master !== undefined && isDown(master) };
    for (const f of [linkFinding(pair), lagFinding(pair, ctx), cannotFailoverFinding(pair, ctx)])
      if (f) out.push(f);
  }
  return out;
}

/** Never synced (no data to take over with), else link down. */
function linkFinding({ r, master, masterDown }: Pair): Finding | undefined {
  const repl = r.replication;
  // Keys loaded from its own AOF/RDB (a pod restarted with its volume) are data, even before the first sync.
  if (repl && replicaNeverSynced(repl) && !((r.keys ?? 0) > 0)) {
    return {
      code: FindingCodes.ReplicaNeverSynced,
      severity: masterDown ? 'critical' : 'warning',
      summary: `replica ${nodeLabel(r)} never synced with its master: it holds no data to take over with`,
      nodes: [r.id, ...(master ? [master.id] : [])],
      ...addrs(r.addr),
      evidence: [
        `${r.addr} says master_link_status:down`,
        `slave_repl_offset:${repl.slaveReplOffset ?? 'absent'}`,
        ...(repl.masterLinkDownSinceSeconds !== undefined
          ? [`master_link_down_since_seconds:${repl.masterLinkDownSinceSeconds}`]
          : []),
      ],
    };
  }
  if (repl?.masterLinkStatus !== 'down') return undefined;
  return {
    code: FindingCodes.ReplicaLinkDown,
    severity: masterDown ? 'info' : 'warning',
    summary: `replica ${nodeLabel(r)} lost its link to master ${master ? nodeLabel(master) : (r.masterId ?? '?').slice(0, 8)}${repl.masterLinkDownSinceSeconds !== undefined && repl.masterLinkDownSinceSeconds >= 0 ? ` ${repl.masterLinkDownSinceSeconds} s ago` : ''}`,
    nodes: [r.id, ...(master ? [master.id] : [])],
    ...addrs(r.addr),
    evidence: [
      `${r.addr} says master_link_status:down`,
      ...(repl.masterHost ? [`master_host:${repl.masterHost}:${repl.masterPort ?? ''}`] : []),
    ],
  };
}

/** Link up, but too many bytes or seconds behind its master. */
function lagFinding({ r, master }: Pair, ctx: RuleContext): Finding | undefined {
  const repl = r.replication;
  if (repl?.masterLinkStatus !== 'up' || !master) return undefined;
  const line = master.replication?.replicas.find((l) => r.addr !== null && `${l.ip}:${l.port}` === r.addr);
  const gap =
    master.replication && repl.slaveReplOffset !== undefined
      ? master.replication.masterReplOffset - repl.slaveReplOffset
      : line && master.replication
        ? master.replication.masterReplOffset - line.offset
        : 0;
  const lag = line?.lag ?? 0;
  if (!(lag > ctx.maxLagSeconds || gap > ctx.maxOffsetGap)) return undefined;
  return {
    code: FindingCodes.ReplicaLagging,
    severity: 'warning',
    summary: `replica ${nodeLabel(r)} lags behind master ${nodeLabel(master)} (${gap} bytes, last ack ${lag} s ago)`,
    nodes: [r.id, master.id],
    ...addrs(r.addr),
    evidence: [
      `${master.addr} says master_repl_offset:${master.replication?.masterReplOffset ?? '?'}`,
      `${r.addr} says slave_repl_offset:${repl.slaveReplOffset ?? line?.offset ?? '?'}`,
      ...(line ? [`${master.addr} says lag=${line.lag} for ${line.ip}:${line.port}`] : []),
    ],
  };
}

/** `nofailover`, or a link down longer than an election accepts. */
function cannotFailoverFinding({ r, master, masterDown }: Pair, ctx: RuleContext): Finding | undefined {
  const repl = r.replication;
  const reasons: string[] = [];
  if (r.flags.includes('nofailover')) reasons.push('flag nofailover (cluster-replica-no-failover yes)');
  if (
    repl?.masterLinkStatus === 'down' &&
    repl.masterLinkDownSinceSeconds !== undefined &&
    repl.masterLinkDownSinceSeconds > ctx.maxLinkDownSeconds
  ) {
    reasons.push(`master link down for ${repl.masterLinkDownSinceSeconds} s (data too old to be elected)`);
  }
  if (reasons.length === 0) return undefined;
  return {
    code: FindingCodes.ReplicaCannotFailover,
    severity: masterDown ? 'critical' : 'warning',
    summary: `replica ${nodeLabel(r)} cannot fail over by itself${masterDown ? ' and its master has failed' : ''}: ${reasons.join('; ')}`,
    nodes: [r.id, ...(master ? [master.id] : [])],
    ...addrs(r.addr),
    evidence: reasons.map((x) => `${r.addr}: ${x}`),
  };
}
