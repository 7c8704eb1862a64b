/**
 * Which slots are worth counting keys in, everywhere (`CLUSTER COUNTKEYSINSLOT` on every reachable master):
 * open anywhere, served by nobody, served by a master that is down, or seen in a key sample of a master that
 * does not own them. Pure.
 */
import type { ClusterNode, SlotRange, Topology } from '../types.ts';
import { uncoveredSlots } from './slots.ts';

/** At most this many slots are counted per scan (open ones first); beyond, the picture says it is partial. */
export const MAX_SUSPECT_SLOTS = 2048;

function* eachSlot(ranges: readonly SlotRange[]): Generator<number> {
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) yield s;
}

/** A master we could not ask, or that the cluster flags down. */
function isDownMaster(n: ClusterNode): boolean {
  return n.role === 'master' && (!n.reachable || n.health === 'fail' || n.health === 'pfail');
}

/**
 * Suspect slots, most suspect first: open markers, then slots seen in `sampled` (slot numbers of keys a master
 * holds but does not own), then uncovered slots, then slots of down masters. Capped at `max`.
 */
export function suspectSlots(
  topology: Topology,
  sampled: Iterable<number> = [],
  max = MAX_SUSPECT_SLOTS,
): { slots: number[]; partial: boolean } {
  const ordered = new Set<number>();
  for (const n of topology.nodes) for (const m of [...n.migrating, ...n.importing]) ordered.add(m.slot);
  for (const s of sampled) ordered.add(s);
  const masters = topology.nodes.filter((n) => n.role === 'master' && n.health !== 'handshake');
  if (masters.some((m) => m.reachable)) {
    for (const s of eachSlot(uncoveredSlots(masters))) ordered.add(s);
    for (const m of masters.filter(isDownMaster)) for (const s of eachSlot(m.slots)) ordered.add(s);
  }
  const all = [...ordered];
  return { slots: all.slice(0, max), partial: all.length > max };
}

/** Slots of `keys` (their slot numbers) that `owner` does not serve. */
export function slotsNotOwned(owner: Pick<ClusterNode, 'slots'>, keySlots: Iterable<number>): number[] {
  const out = new Set<number>();
  for (const s of keySlots) if (!owner.slots.some((r) => r.start <= s && s <= r.end)) out.add(s);
  return [...out];
}
