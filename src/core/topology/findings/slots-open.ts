import type { Finding, NodeId, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, nodeLabel, type RuleContext } from './shared.ts';

/** Slots left migrating / importing (a resharding stopped half-way). */
export const codes = [FindingCodes.SlotsOpen];

export function find(topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const peer = (id: NodeId) => {
    const p = ctx.index.byId.get(id);
    return p ? nodeLabel(p) : id.slice(0, 8);
  };
  for (const n of topology.nodes) {
    if (n.migrating.length === 0 && n.importing.length === 0) continue;
    const open = n.migrating.length + n.importing.length;
    out.push({
      code: FindingCodes.SlotsOpen,
      severity: 'warning',
      summary: `${nodeLabel(n)} has ${open} open slot${open === 1 ? '' : 's'} (a resharding stopped half-way?)`,
      nodes: [n.id],
      ...addrs(n.addr),
      evidence: [
        ...n.migrating.map((m) => `slot ${m.slot} migrating to ${peer(m.nodeId)}`),
        ...n.importing.map((m) => `slot ${m.slot} importing from ${peer(m.nodeId)}`),
      ],
    });
  }
  return out;
}
