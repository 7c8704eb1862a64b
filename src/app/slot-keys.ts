/**
 * Counts the keys of suspect slots on every reachable master (`CLUSTER COUNTKEYSINSLOT`), so keys sitting
 * on a master that does not own their slot (a migration target that died and whose replica took over) are
 * seen. Slots to count: open anywhere, uncovered, owner down, or seen in a small key sample of a master
 * that does not own them (`SCAN 0 COUNT 200`, key names as bytes, slots computed locally).
 */
import { answers } from '../core/plans/cluster-view.ts';
import type { NodeCommander } from '../core/ports.ts';
import { keySlot } from '../core/topology/key-slot.ts';
import { slotsNotOwned, suspectSlots } from '../core/topology/suspect-slots.ts';
import type { Addr, ClusterNode, SlotKeyCount, Topology } from '../core/types.ts';

/** Keys sampled per master per scan: one SCAN call. */
const SAMPLE = 200;
/** Commands in flight per node at once. */
const CHUNK = 512;

/** Reachable masters that answered as themselves. */
export function countableMasters(topology: Topology): ClusterNode[] {
  return topology.nodes.filter((n) => n.role === 'master' && n.addr && answers(topology, n));
}

/** Slots of keys a master holds without owning them, from one SCAN page. Errors: nothing sampled. */
async function sampleForeignSlots(commander: NodeCommander, m: ClusterNode, timeoutMs: number) {
  if ((m.keys ?? 0) === 0) return [];
  try {
    const reply = (await commander.call(m.addr!, ['SCAN', 0, 'COUNT', SAMPLE], {
      timeoutMs,
      buffers: true,
    })) as [Buffer, Buffer[]];
    return slotsNotOwned(
      m,
      (reply[1] ?? []).map((k) => keySlot(k)),
    );
  } catch {
    return [];
  }
}

/** `CLUSTER COUNTKEYSINSLOT` of each slot on one node; undefined where it did not answer (and after that). */
export async function countKeysInSlots(
  commander: NodeCommander,
  addr: Addr,
  slots: number[],
  timeoutMs: number,
): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  for (let i = 0; i < slots.length; i += CHUNK) {
    const part = await Promise.all(
      slots.slice(i, i + CHUNK).map((s) =>
        commander.call(addr, ['CLUSTER', 'COUNTKEYSINSLOT', s], { timeoutMs }).then(
          (v) => Number(v),
          () => undefined,
        ),
      ),
    );
    out.push(...part);
    // A node that stopped answering is not asked chunk after chunk: one timeout bounds it.
    if (part.includes(undefined)) return slots.map((_, j) => out[j]);
  }
  return out;
}

/** Key counts of every suspect slot on every reachable master; [] when nothing is suspect. */
export async function countSuspectSlotKeys(
  commander: NodeCommander,
  topology: Topology,
  timeoutMs: number,
): Promise<SlotKeyCount[]> {
  if (topology.mode !== 'cluster') return [];
  const masters = countableMasters(topology);
  if (masters.length === 0) return [];
  const sampled = (await Promise.all(masters.map((m) => sampleForeignSlots(commander, m, timeoutMs)))).flat();
  const { slots } = suspectSlots(topology, sampled);
  if (slots.length === 0) return [];
  const perMaster = await Promise.all(
    masters.map((m) => countKeysInSlots(commander, m.addr!, slots, timeoutMs)),
  );
  return slots.map((slot, i) => {
    const entry: SlotKeyCount = { slot, counts: [] };
    masters.forEach((m, j) => {
      const keys = perMaster[j]![i];
      if (keys !== undefined && !Number.isNaN(keys)) entry.counts.push({ id: m.id, addr: m.addr!, keys });
      else entry.unknown = [...(entry.unknown ?? []), m.addr!];
    });
    return entry;
  });
}
