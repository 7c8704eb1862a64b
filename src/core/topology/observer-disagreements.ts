/** Where the observers of the cluster do not agree: slot owners, roles, config epochs. */
import type { Disagreement, NodeId } from '../types.ts';
import type { Gathered } from './merge-node.ts';
import type { Observer } from './observers.ts';
import { formatSlotRanges, MAX_SLOT } from './slots.ts';

/** One distinct ownership map and the observers that hold it. */
interface OwnershipMap {
  observers: Observer[];
  owner: Observer;
}

/** Slot ownership, roles and config epochs where the observers of the cluster do not agree. */
export function findDisagreements(group: Observer[], seen: Map<NodeId, Gathered>): Disagreement[] {
  if (group.length < 2) return [];
  const maps = ownershipMaps(group);
  const out = maps.length > 1 ? slotDisagreements(maps) : [];
  out.push(...nodeDisagreements(group, seen));
  return out;
}

/**
 * Observers grouped by their whole ownership map (an order-free 64-bit hash of its entries), so that slots
 * are compared one by one only once per distinct map.
 */
function ownershipMaps(group: Observer[]): OwnershipMap[] {
  const idHash = new Map<NodeId, number>();
  const hashOf = (id: NodeId) => {
    let h = idHash.get(id);
    if (h === undefined) {
      h = fnv1a(id, 0x811c9dc5);
      idHash.set(id, h);
    }
    return h;
  };
  const maps = new Map<string, OwnershipMap>();
  for (const o of group) {
    let a = 0;
    let b = 0;
    for (const v of o.views) {
      if (v.flags.includes('slave')) continue;
      const h = hashOf(v.id);
      for (const r of v.slots) {
        a = (a + mix(h ^ Math.imul(r.start + 1, 0x9e3779b1) ^ Math.imul(r.end + 1, 0x85ebca6b))) >>> 0;
        b = (b + mix(h + Math.imul(r.end + 7, 0xc2b2ae35) + Math.imul(r.start + 3, 0x27d4eb2f))) >>> 0;
      }
    }
    const key = `${a}:${b}`;
    const m = maps.get(key);
    if (m) m.observers.push(o);
    else maps.set(key, { observers: [o], owner: o });
  }
  return [...maps.values()];
}

/** Runs of slots whose owner differs between the maps, each with what every observer says. */
function slotDisagreements(variants: OwnershipMap[]): Disagreement[] {
  const out: Disagreement[] = [];
  const { interned, tables } = ownerTables(variants);
  let runStart = -1;
  let runKey = '';
  const flush = (end: number) => {
    if (runStart < 0) return;
    const slots = formatSlotRanges([{ start: runStart, end }]);
    const views: Disagreement['views'] = [];
    variants.forEach((v, i) => {
      const ownerIdx = tables[i]![runStart]!;
      const says = ownerIdx === 0 ? 'nobody' : short(interned[ownerIdx]!);
      for (const o of v.observers) views.push({ observer: o.probe.addr, says });
    });
    out.push({ subject: `owner of slots ${slots}`, kind: 'slots', slots: [{ start: runStart, end }], views });
    runStart = -1;
  };
  for (let s = 0; s <= MAX_SLOT; s++) {
    const first = tables[0]![s]!;
    let differs = false;
    for (let i = 1; i < tables.length; i++) if (tables[i]![s] !== first) differs = true;
    const key = differs ? tables.map((t) => t[s]).join(',') : '';
    if (key !== runKey) {
      flush(s - 1);
      if (differs) runStart = s;
      runKey = key;
    }
  }
  flush(MAX_SLOT);
  return out;
}

/** Per map, the owner of each slot as an index into `interned` (0: nobody). */
function ownerTables(variants: OwnershipMap[]): { interned: string[]; tables: Int32Array[] } {
  const interned: string[] = [''];
  const internIndex = new Map<string, number>();
  const tables = variants.map(({ owner }) => {
    const t = new Int32Array(MAX_SLOT + 1);
    for (const v of owner.views) {
      if (v.flags.includes('slave')) continue;
      let k = internIndex.get(v.id);
      if (k === undefined) {
        k = interned.length;
        interned.push(v.id);
        internIndex.set(v.id, k);
      }
      for (const r of v.slots) t.fill(k, r.start, r.end + 1);
    }
    return t;
  });
  return { interned, tables };
}

/** Roles and epochs: per node, what each observer says (only for the nodes the gathering pass found contested). */
function nodeDisagreements(group: Observer[], seen: Map<NodeId, Gathered>): Disagreement[] {
  const out: Disagreement[] = [];
  const label = (o: Observer) => o.probe.addr;
  for (const [id, g] of seen) {
    const { rolesDiffer, epochsDiffer } = g;
    if (!rolesDiffer && !epochsDiffer) continue;
    const roles = new Map<string, Observer[]>();
    const epochs = new Map<number, Observer[]>();
    for (const o of group) {
      const v = o.byId.get(id);
      if (!v) continue;
      if (!v.flags.includes('handshake')) {
        const role = v.flags.includes('slave')
          ? `replica of ${v.masterId ? short(v.masterId) : '?'}`
          : 'master';
        addTo(roles, role, o);
      }
      addTo(epochs, v.configEpoch, o);
    }
    const who = `${g.anyAddr ?? 'noaddr'} (${short(id)})`;
    if (rolesDiffer) {
      out.push({
        subject: `role of ${who}`,
        kind: 'role',
        nodeId: id,
        views: [...roles].flatMap(([says, os]) => os.map((o) => ({ observer: label(o), says }))),
      });
    }
    if (epochsDiffer) {
      out.push({
        subject: `config epoch of ${who}`,
        kind: 'epoch',
        nodeId: id,
        views: [...epochs].flatMap(([says, os]) =>
          os.map((o) => ({ observer: label(o), says: String(says) })),
        ),
      });
    }
  }
  return out;
}

function short(id: NodeId): string {
  return id.slice(0, 8);
}

function addTo<K>(map: Map<K, Observer[]>, key: K, o: Observer): void {
  const list = map.get(key);
  if (list) list.push(o);
  else map.set(key, [o]);
}

/** murmur3's finalizer: spreads the bits of a 32-bit value. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a, 32 bits, from a given offset basis. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
