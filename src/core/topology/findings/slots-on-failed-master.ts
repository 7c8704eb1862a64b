import type { Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, isDown, nodeLabel, observerAddr, type RuleContext, replicasOf, slotsText } from './shared.ts';

/** Slots still assigned to a master that is down. */
export const codes = [FindingCodes.SlotsOnFailedMaster];

export function find(_topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const m of ctx.index.masters) {
    if (!isDown(m) || m.slots.length === 0) continue;
    const replicas = replicasOf(ctx, m.id);
    const reporters = m.health === 'fail' ? m.failReportedBy : m.pfailReportedBy;
    out.push({
      code: FindingCodes.SlotsOnFailedMaster,
      severity: 'critical',
      summary: `${slotsText(m.slots)} sit on ${m.health === 'fail' ? 'failed' : 'unreachable (fail?)'} master ${nodeLabel(m)}${replicas.length === 0 ? ', which has no replica to take over' : ''}`,
      nodes: [m.id, ...replicas.map((r) => r.id)],
      ...addrs(m.addr),
      evidence: [
        `${slotsText(m.slots)}`,
        ...reporters.map((o) => `${observerAddr(ctx, o)} says ${m.health === 'fail' ? 'fail' : 'fail?'}`),
      ],
    });
  }
  return out;
}
