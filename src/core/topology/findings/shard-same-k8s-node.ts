import type { Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, nodeLabel, type RuleContext, replicasOf, slotsText } from './shared.ts';

/** A master and all its healthy replicas on one Kubernetes node: losing that node loses the shard. */
export const codes = [FindingCodes.ShardSameK8sNode];

export function find(topology: Topology, ctx: RuleContext): Finding[] {
  if (!topology.pods) return [];
  const out: Finding[] = [];
  for (const m of topology.nodes) {
    if (m.role !== 'master' || m.slots.length === 0 || m.health === 'fail') continue;
    const k8sNode = m.pod?.nodeName;
    if (!k8sNode) continue;
    const replicas = replicasOf(ctx, m.id).filter((r) => r.health === 'ok');
    if (replicas.length === 0 || !replicas.every((r) => r.pod?.nodeName === k8sNode)) continue;
    out.push({
      code: FindingCodes.ShardSameK8sNode,
      severity: 'warning',
      summary: `master ${nodeLabel(m)} and ${replicas.length === 1 ? 'its only replica' : `all ${replicas.length} of its replicas`} run on Kubernetes node ${k8sNode}: losing that node loses ${slotsText(m.slots)}`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [m, ...replicas].map((n) => `pod ${n.pod!.name} (${n.addr}) runs on ${k8sNode}`),
    });
  }
  return out;
}
