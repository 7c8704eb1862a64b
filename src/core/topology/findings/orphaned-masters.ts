import type { ClusterNode, Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, isDown, nodeLabel, type RuleContext, replicasOf, servesSlots, slotsText } from './shared.ts';

/** Live masters serving slots without a healthy replica, and the unhealthy replicas they have. */
export const codes = [FindingCodes.MasterOrphaned, FindingCodes.ReplicasUnhealthy];

const isHealthyReplica = (r: ClusterNode) => r.health === 'ok' && r.replication?.masterLinkStatus !== 'down';

export function find(_topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const m of ctx.index.masters) {
    if (!servesSlots(m) || isDown(m)) continue;
    const replicas = replicasOf(ctx, m.id);
    if (replicas.some(isHealthyReplica)) continue;
    out.push({
      code: FindingCodes.MasterOrphaned,
      severity: 'warning',
      summary:
        replicas.length === 0
          ? `master ${nodeLabel(m)} has no replica: losing it loses ${slotsText(m.slots)}`
          : `master ${nodeLabel(m)} has no healthy replica: losing it loses ${slotsText(m.slots)}`,
      nodes: [m.id],
      ...addrs(m.addr),
      evidence: [`#replicas ${replicas.length}`, `${slotsText(m.slots)}`],
    });
    if (replicas.length > 0) {
      out.push({
        code: FindingCodes.ReplicasUnhealthy,
        severity: 'warning',
        summary: `every replica of master ${nodeLabel(m)} is unhealthy`,
        nodes: [m.id, ...replicas.map((r) => r.id)],
        ...addrs(m.addr),
        evidence: replicas.map((r) => `${nodeLabel(r)}: ${replicaTrouble(r)}`),
      });
    }
  }
  return out;
}

function replicaTrouble(r: ClusterNode): string {
  if (r.health !== 'ok') return `health ${r.health}`;
  if (r.replication?.masterLinkStatus === 'down') return 'master link down';
  return 'unhealthy';
}
