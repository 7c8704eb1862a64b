/**
 * Phase 2: forget the dead: on a replaced pod (a new node is there), when the majority was lost, or when its
 * address now answers with another id. A dead node that may restart with its nodes.conf is left alone.
 */
import type { SlotRange } from '../../types.ts';
import { answers, isDown } from '../cluster-view.ts';
import { describeNode, forgetStep, formatRanges } from '../plan.ts';
import type { RepairState } from './state.ts';

export function forgetTheDead(s: RepairState): void {
  const { topology, majorityLost, nodes } = s;
  const replaced = s.outsiders.length > 0 || majorityLost;
  for (const n of nodes) {
    if (!isDown(topology, n, majorityLost)) continue;
    const hasSlots = n.role === 'master' && n.slots.length > 0;
    if (hasSlots && !s.slotsMovedAway.has(n.id)) continue;
    const followers = nodes.filter((r) => r.masterId === n.id && answers(topology, r));
    if (followers.length > 0 && !s.slotsMovedAway.has(n.id)) continue;
    if (!replaced && !s.lostShards.has(n.id) && n.health !== 'noaddr') {
      if (!s.namedInShardNote.has(n.id))
        s.notes.push(
          `${describeNode(n)} is down; if it will not come back, /redis forget ${n.id.slice(0, 8)} removes it.`,
        );
      continue;
    }
    const isLate = s.steps.assigns.some(
      (st) => st.kind === 'fix-slots' && hasSlots && sameRanges(st.slots, n.slots),
    );
    (isLate ? s.steps.lateForgets : s.steps.forgets).push(
      forgetStep(
        topology,
        n,
        n.health === 'noaddr' ? 'its address now answers with another node id' : 'it is gone',
      ),
    );
    if (!hasSlots) s.titles.push(`forget ${n.addr ?? n.id.slice(0, 8)}`);
  }
}

function sameRanges(a: SlotRange[], b: SlotRange[]): boolean {
  return formatRanges(a) === formatRanges(b);
}
