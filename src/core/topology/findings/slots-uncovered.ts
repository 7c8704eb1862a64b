import type { Finding, Topology } from '../../types.ts';
import { countSlots, uncoveredSlots } from '../slots.ts';
import { FindingCodes } from './codes.ts';
import { type RuleContext, slotsText } from './shared.ts';

/** Slots no master serves. */
export const codes = [FindingCodes.SlotsUncovered];

export function find(_topology: Topology, ctx: RuleContext): Finding[] {
  const uncovered = uncoveredSlots(ctx.index.masters);
  if (uncovered.length === 0) return [];
  return [
    {
      code: FindingCodes.SlotsUncovered,
      severity: 'critical',
      summary: `${countSlots(uncovered)} slots have no owner: keys there cannot be read or written`,
      nodes: [],
      evidence: [`${slotsText(uncovered)} are served by no master`],
    },
  ];
}
