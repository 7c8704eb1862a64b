/**
 * The plan's part for open slots and stray keys (issue 14): every slot open on some node or with keys on a
 * master that does not own it, decided like `redis-cli --cluster fix` (slot-decision.ts), one `fix-slots`
 * step per chosen owner whose sentence says why that owner. Pure.
 */
import type { Disagreement, Step, Topology } from '../types.ts';
import { formatRanges, MIGRATE_LINE, toRanges } from './plan.ts';
import { decideSlot, type SlotDecision, strayKeySlots } from './slot-decision.ts';

type Decided = Extract<SlotDecision, { ok: true }>;

/** Slots whose commands the dry run lists one by one; the rest are summed up in one line. */
const MAX_DRY_RUN_SLOTS = 10;

export interface SlotRepairPart {
  steps: Step[];
  titles: string[];
  notes: string[];
  /** Slots this part repairs: the uncovered-slot repair leaves them alone. */
  handled: Set<number>;
}

/** Open anywhere, or holding keys on a non-owner: the slots `redis-cli --cluster fix` would touch. */
export function slotsToRepair(topology: Topology): number[] {
  const slots = new Set<number>(strayKeySlots(topology));
  for (const n of topology.nodes) for (const m of [...n.migrating, ...n.importing]) slots.add(m.slot);
  return [...slots].sort((a, b) => a - b);
}

/**
 * A disagreement about slot owners that only concerns open slots: a node importing a slot ignores the new
 * owner's claims (Redis skips importing slots on UPDATE), so it never settles by itself. The slot repair
 * settles it; the planner need not wait for gossip.
 */
export function onlyOpenSlots(topology: Topology, d: Disagreement): boolean {
  if (d.kind !== 'slots' || !d.slots?.length) return false;
  const open = new Set(slotsToRepair(topology));
  return d.slots.every((r) => {
    for (let s = r.start; s <= r.end; s++) if (!open.has(s)) return false;
    return true;
  });
}

function dryRun(d: Decided): string[] {
  const s = d.slot;
  const lines: string[] = [];
  if (d.current) {
    lines.push(`${d.owner.addr} CLUSTER SETSLOT ${s} IMPORTING ${d.current.id}`);
    lines.push(`${d.current.addr} CLUSTER SETSLOT ${s} MIGRATING ${d.owner.id}`);
  } else {
    for (const a of d.open) lines.push(`${a} CLUSTER SETSLOT ${s} STABLE`);
    if (d.claims)
      lines.push(
        `${d.owner.addr} CLUSTER ADDSLOTS ${s} (or SETSLOT ${s} NODE ${d.owner.id}); CLUSTER BUMPEPOCH`,
      );
  }
  for (const h of d.holders) {
    lines.push(
      `${h.addr} CLUSTER SETSLOT ${s} NODE ${d.owner.id}; CLUSTER SETSLOT ${s} IMPORTING ${d.owner.id}`,
    );
    lines.push(
      `${h.addr} MIGRATE ${d.owner.addr} … KEYS (${h.keys} keys, in batches); CLUSTER SETSLOT ${s} STABLE`,
    );
  }
  if (d.current)
    lines.push(`${d.current.addr} MIGRATE ${d.owner.addr} … KEYS (${d.current.keys} keys, in batches)`);
  lines.push(`every other live master: CLUSTER SETSLOT ${s} NODE ${d.owner.id}`);
  return lines;
}

export function planSlotRepairs(topology: Topology): SlotRepairPart {
  const part: SlotRepairPart = { steps: [], titles: [], notes: [], handled: new Set() };
  const byOwner = new Map<string, Decided[]>();
  for (const slot of slotsToRepair(topology)) {
    const d = decideSlot(topology, slot);
    if (!d.ok) {
      part.notes.push(`${d.reason}.`);
      continue;
    }
    part.handled.add(slot);
    byOwner.set(d.owner.id, [...(byOwner.get(d.owner.id) ?? []), d]);
  }
  for (const decisions of byOwner.values()) {
    const owner = decisions[0]!.owner;
    const ranges = toRanges(decisions.map((d) => d.slot));
    const moving = decisions.reduce(
      (n, d) => n + d.holders.reduce((m, h) => m + h.keys, 0) + (d.current?.keys ?? 0),
      0,
    );
    const why = decisions
      .slice(0, 5)
      .map((d) => `${d.reason}${d.caveat ? ` (${d.caveat})` : ''}`)
      .join('; ');
    const more = decisions.length > 5 ? `; and ${decisions.length - 5} more slots` : '';
    const claims = decisions.some((d) => d.claims);
    part.steps.push({
      kind: 'fix-slots',
      action: 'stable',
      slots: ranges,
      addr: owner.addr,
      targetId: owner.id,
      risk: claims ? 'high' : 'medium',
      sentence: `Repair slot(s) ${formatRanges(ranges)} like redis-cli --cluster fix, ${owner.addr} (${owner.id.slice(0, 8)}) keeping them: ${why}${more}. ${moving} key(s) move there with MIGRATE; every node then marks the slot stable. The counts are taken again when the step runs.`,
      commands: [
        MIGRATE_LINE,
        ...decisions.slice(0, MAX_DRY_RUN_SLOTS).flatMap(dryRun),
        ...(decisions.length > MAX_DRY_RUN_SLOTS
          ? [`(the same for ${decisions.length - MAX_DRY_RUN_SLOTS} more slots)`]
          : []),
      ],
    });
    part.titles.push(
      `repair slot(s) ${formatRanges(ranges)}${moving > 0 ? ` (${moving} keys to move to ${owner.addr})` : ''}`,
    );
  }
  return part;
}
