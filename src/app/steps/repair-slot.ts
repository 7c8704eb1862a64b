/**
 * Repairs one open or suspect slot the way `redis-cli --cluster fix` does, following a `SlotDecision`
 * (src/core/plans/slot-decision.ts): the chosen owner takes the slot (a migration from the current owner,
 * or a claim with BUMPEPOCH when no live master serves it), every other holder's keys move to it, and every
 * live master ends with the slot stable and assigned to the owner.
 */
import type { SlotDecision } from '../../core/plans/slot-decision.ts';
import type { Addr, NodeView } from '../../core/types.ts';
import { moveSlotKeys } from './move-keys.ts';
import { setSlot } from './set-slot.ts';
import { clusterNodesOf, isReply, liveMembers } from './support.ts';
import type { StepContext } from './types.ts';

type Decided = Extract<SlotDecision, { ok: true }>;

const owns = (v: NodeView | undefined, s: number) =>
  Boolean(v?.slots.some((r) => r.start <= s && s <= r.end));
const isOpen = (v: NodeView | undefined, s: number) =>
  Boolean(v && [...v.migrating, ...v.importing].some((m) => m.slot === s));

async function ownView(ctx: StepContext, addr: Addr): Promise<{ me?: NodeView; all: NodeView[] }> {
  const all = await clusterNodesOf(ctx, addr);
  return { me: all.find((v) => v.flags.includes('myself')), all };
}

/** The owner takes the slot when no live master serves it: STABLE, then NODE (or ADDSLOTS), then BUMPEPOCH. */
async function claim(ctx: StepContext, d: Decided): Promise<void> {
  const { owner, slot } = d;
  const { me, all } = await ownView(ctx, owner.addr);
  if (owns(me, slot)) return;
  if (isOpen(me, slot)) await setSlot(ctx, owner.addr, [slot, 'STABLE']);
  const seenOwned = all.some((v) => v.flags.includes('master') && owns(v, slot));
  if (seenOwned) await setSlot(ctx, owner.addr, [slot, 'NODE', owner.id]);
  else await ctx.commander.call(owner.addr, ['CLUSTER', 'ADDSLOTS', slot]);
  // A unique, highest config epoch: the claim wins over the old owner's.
  await ctx.commander.call(owner.addr, ['CLUSTER', 'BUMPEPOCH']);
}

/** A holder that does not own the slot: told who owns it and opened (IMPORTING), so MIGRATE runs there. */
async function openHolder(ctx: StepContext, addr: Addr, d: Decided): Promise<void> {
  const { me } = await ownView(ctx, addr);
  if (owns(me, d.slot)) await ctx.commander.call(addr, ['CLUSTER', 'DELSLOTS', d.slot]);
  await setSlot(ctx, addr, [d.slot, 'NODE', d.owner.id]);
  await setSlot(ctx, addr, [d.slot, 'IMPORTING', d.owner.id]);
}

/** SETSLOT NODE <owner> on one master; a former owner that just turned replica answers that it is not a master. */
async function assignTo(ctx: StepContext, addr: Addr, d: Decided): Promise<void> {
  try {
    await setSlot(ctx, addr, [d.slot, 'NODE', d.owner.id]);
  } catch (err) {
    if (!isReply(err, /use SETSLOT only with masters/i)) throw err;
  }
}

/** Returns a short report of what moved. Redis errors propagate (the handler names the slot). */
export async function repairSlot(ctx: StepContext, d: Decided): Promise<string> {
  const { owner, slot, current } = d;
  const moved: string[] = [];
  if (current) {
    // A migration from the current owner to the chosen one (redis-cli's moveSlot).
    const { me } = await ownView(ctx, owner.addr);
    if (!owns(me, slot)) await setSlot(ctx, owner.addr, [slot, 'IMPORTING', current.id]);
    await setSlot(ctx, current.addr, [slot, 'MIGRATING', owner.id]);
  } else {
    await claim(ctx, d);
    // The owner's own marker (e.g. MIGRATING to a dead node) would send the moved keys away with ASK.
    const { me } = await ownView(ctx, owner.addr);
    if (isOpen(me, slot)) await setSlot(ctx, owner.addr, [slot, 'STABLE']);
  }
  for (const h of d.holders) {
    await openHolder(ctx, h.addr, d);
    const n = await moveSlotKeys(ctx, h.addr, owner.addr, slot);
    moved.push(`${n} from ${h.addr}`);
    await setSlot(ctx, h.addr, [slot, 'STABLE']);
  }
  if (current) {
    const n = await moveSlotKeys(ctx, current.addr, owner.addr, slot);
    moved.push(`${n} from ${current.addr}`);
    // The new owner first, then the old one, then the rest (redis-cli, issue #7116).
    await assignTo(ctx, owner.addr, d);
    await assignTo(ctx, current.addr, d);
  }
  const masters = liveMembers(ctx.topology).filter((n) => n.role === 'master' && n.id !== owner.id);
  for (const m of masters) {
    const { me } = await ownView(ctx, m.addr!);
    if (isOpen(me, slot)) await setSlot(ctx, m.addr!, [slot, 'STABLE']);
    await assignTo(ctx, m.addr!, d);
  }
  const keys = moved.length > 0 ? `, keys moved: ${moved.join(', ')}` : '';
  return `slot ${slot} on ${owner.addr}${keys}`;
}
