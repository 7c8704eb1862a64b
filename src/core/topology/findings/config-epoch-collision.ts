import type { ClusterNode, Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { nodeLabel, type RuleContext, slotsText } from './shared.ts';

/** Masters serving slots with the same config epoch: ownership conflicts between them cannot be settled. */
export const codes = [FindingCodes.ConfigEpochCollision];

export function find(_topology: Topology, ctx: RuleContext): Finding[] {
  const byEpoch = new Map<number, ClusterNode[]>();
  for (const m of ctx.index.masters) {
    if (m.slots.length === 0 || m.health === 'fail') continue;
    const list = byEpoch.get(m.configEpoch);
    if (list) list.push(m);
    else byEpoch.set(m.configEpoch, [m]);
  }
  const out: Finding[] = [];
  for (const [epoch, same] of byEpoch) {
    if (same.length < 2) continue;
    out.push({
      code: FindingCodes.ConfigEpochCollision,
      severity: 'warning',
      summary: `${same.length} masters share config epoch ${epoch}: slot ownership conflicts cannot be settled`,
      nodes: same.map((m) => m.id),
      evidence: same.map((m) => `${nodeLabel(m)} has config epoch ${epoch} and ${slotsText(m.slots)}`),
    });
  }
  return out;
}
