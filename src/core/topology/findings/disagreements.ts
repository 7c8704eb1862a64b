import type { Addr, Disagreement, Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/** Observers that do not agree on a slot's owner, a node's role or its config epoch. */
export const codes = [
  FindingCodes.SlotOwnerDisagreement,
  FindingCodes.RoleDisagreement,
  FindingCodes.ConfigEpochDisagreement,
];

export function find(topology: Topology): Finding[] {
  const out: Finding[] = [];
  for (const d of topology.disagreements) {
    const f = disagreementFinding(d);
    if (f) out.push(f);
  }
  return out;
}

function disagreementFinding(d: Disagreement): Finding | undefined {
  const evidence = groupSays(d.views);
  if (d.kind === 'slots' || (!d.kind && d.subject.startsWith('owner of slots'))) {
    return {
      code: FindingCodes.SlotOwnerDisagreement,
      severity: 'warning',
      summary: `Nodes disagree about the ${d.subject}`,
      nodes: [],
      evidence,
    };
  }
  if (d.kind === 'role') {
    return {
      code: FindingCodes.RoleDisagreement,
      severity: 'warning',
      summary: `Nodes disagree about the ${d.subject}`,
      nodes: d.nodeId ? [d.nodeId] : [],
      evidence,
    };
  }
  if (d.kind === 'epoch') {
    return {
      code: FindingCodes.ConfigEpochDisagreement,
      severity: 'info',
      summary: `Nodes disagree about the ${d.subject} (normal for a few seconds after a failover)`,
      nodes: d.nodeId ? [d.nodeId] : [],
      evidence,
    };
  }
  return undefined;
}

/** `a, b say X`: observers grouped by what they say, at most five named. */
function groupSays(views: { observer: Addr; says: string }[]): string[] {
  const bySays = new Map<string, Addr[]>();
  for (const v of views) {
    const list = bySays.get(v.says);
    if (list) list.push(v.observer);
    else bySays.set(v.says, [v.observer]);
  }
  return [...bySays].map(([says, observers]) => {
    const shown = observers.slice(0, 5).join(', ');
    const more = observers.length > 5 ? ` and ${observers.length - 5} more` : '';
    return `${shown}${more} say${observers.length === 1 ? 's' : ''} ${says}`;
  });
}
