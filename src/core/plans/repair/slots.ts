/** Phases 3 and 4: open slots and stray keys as `redis-cli --cluster fix` does, then slots nobody claims. */
import type { SlotRange } from '../../types.ts';
import { answers, uncoveredRanges } from '../cluster-view.ts';
import { assignSlotsStep, describeNode, formatRanges, meetStep, slotCount, toRanges } from '../plan.ts';
import { planSlotRepairs } from '../slot-repair-plan.ts';
import { outsiderLabel, project, type RepairState } from './state.ts';

/** Open slots and keys on masters that do not own their slot. */
export function repairOpenSlots(s: RepairState): void {
  const slotPart = planSlotRepairs(s.topology);
  s.steps.stables.push(...slotPart.steps);
  s.titles.push(...slotPart.titles);
  s.notes.push(...slotPart.notes);
  s.slotsHandled = slotPart.handled;
}

/** Slots nobody claims: to a new node if there is one, else to the live master with the fewest slots. */
export function assignUncoveredSlots(s: RepairState): void {
  const holes = withoutSlots(uncoveredRanges(s.topology), s.slotsHandled);
  if (holes.length === 0) return;
  const fresh = s.outsiders.find((o) => !s.usedOutsiders.has(o.addr));
  if (fresh?.myId) {
    s.usedOutsiders.add(fresh.addr);
    s.steps.meets.push(meetStep(s.topology, fresh.addr, outsiderLabel(fresh)));
    s.steps.assigns.push(assignSlotsStep(fresh.addr, fresh.myId, holes, outsiderLabel(fresh)));
    project(s, fresh.myId, fresh.addr, fresh.pod?.nodeName);
  } else {
    const target = s.nodes
      .filter((n) => n.role === 'master' && n.slots.length > 0 && answers(s.topology, n) && n.health === 'ok')
      .sort(
        (a, b) => slotCount(a.slots) - slotCount(b.slots) || String(a.addr).localeCompare(String(b.addr)),
      )[0];
    if (target?.addr)
      s.steps.assigns.push(assignSlotsStep(target.addr, target.id, holes, describeNode(target)));
    else s.notes.push(`slots ${formatRanges(holes)} have no owner and no live master can take them.`);
  }
  s.titles.push(`assign the uncovered slots ${formatRanges(holes)} (data loss)`);
}

/** `ranges` minus the slots in `drop`. */
function withoutSlots(ranges: SlotRange[], drop: Set<number>): SlotRange[] {
  if (drop.size === 0) return ranges;
  const keep: number[] = [];
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) if (!drop.has(s)) keep.push(s);
  return toRanges(keep);
}
