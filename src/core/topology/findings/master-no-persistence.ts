import type { ClusterNode, Finding, Topology } from '../../types.ts';
import { emptyDirRisk } from '../persistence.ts';
import { FindingCodes } from './codes.ts';
import { addrs, nodeLabel, type RuleContext, replicasOf } from './shared.ts';

/** A master with replicas whose restart comes back empty (no AOF, no RDB, or data on an emptyDir). */
export const codes = [FindingCodes.MasterNoPersistence];

export function find(_topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const m of ctx.index.masters) {
    const f = persistenceFinding(m, replicasOf(ctx, m.id));
    if (f) out.push(f);
  }
  return out;
}

function persistenceFinding(m: ClusterNode, replicas: ClusterNode[]): Finding | undefined {
  const p = m.persistence;
  const noPersistence = !!p && !p.aofEnabled && p.saveConfig === '';
  // AOF on an emptyDir (write-up 004, part 1): Redis says aof_enabled:1, yet the file dies with the pod.
  const emptyDir = m.pod?.dataVolume === 'emptyDir' ? m.pod : undefined;
  if (replicas.length === 0 || (!noPersistence && !emptyDir)) return undefined;
  const volumeEvidence = emptyDir
    ? [
        `pod ${emptyDir.name} mounts an emptyDir at ${emptyDir.dataMountPath ?? 'its data dir'}: it is emptied when the pod is deleted or rescheduled`,
      ]
    : [];
  if (noPersistence) {
    return {
      code: FindingCodes.MasterNoPersistence,
      severity: 'warning',
      summary: `master ${nodeLabel(m)} has no persistence: a restart of this master empties every replica — fail over to a replica first`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [
        `${m.addr} says aof_enabled:0`,
        `${m.addr} says save ""`,
        ...volumeEvidence,
        `${replicas.length} replica(s) follow it`,
      ],
    };
  }
  const what = emptyDirRisk(p, emptyDir?.dataMountPath);
  return {
    code: FindingCodes.MasterNoPersistence,
    severity: 'warning',
    summary: `master ${nodeLabel(m)}: ${what}: a pod restart empties this master and then its replicas — fail over to a replica first, and give the pods a persistent volume (the chart's persistence.enabled=true)`,
    nodes: [m.id, ...replicas.map((r) => r.id)],
    ...addrs(m.addr),
    evidence: [
      ...(p ? [`${m.addr} says aof_enabled:${p.aofEnabled ? 1 : 0}`] : []),
      ...(p?.saveConfig !== undefined ? [`${m.addr} says save "${p.saveConfig}"`] : []),
      ...volumeEvidence,
      `${replicas.length} replica(s) follow it`,
    ],
  };
}
