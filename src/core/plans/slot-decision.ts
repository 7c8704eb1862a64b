/**
 * What to do with one open or suspect slot, decided like `redis-cli --cluster fix` (clusterManagerFixOpenSlot
 * / FixSlotsCoverage): every live master that owns the slot or holds keys of it claims it; a single claimant
 * keeps it, otherwise the one with the most keys does. Every other holder's keys then move to that owner.
 * Pure: used by the planner (the plan says why) and by the step at run time (on fresh counts).
 */
import type { Addr, ClusterNode, NodeId, Topology } from '../types.ts';
import { answers, ownsSlot } from './cluster-view.ts';

export interface SlotNode {
  id: NodeId;
  addr: Addr;
  keys: number;
}

export type SlotDecision =
  | {
      ok: true;
      slot: number;
      /** The master that serves the slot afterwards. */
      owner: SlotNode;
      /** The live master serving it now, when there is one and it is not `owner` (its keys migrate). */
      current?: SlotNode;
      /** Other masters holding keys of the slot: their keys move to `owner`. */
      holders: SlotNode[];
      /** Live masters with a migrating / importing marker on the slot. */
      open: Addr[];
      /** Why this owner, for a person. */
      reason: string;
      /** The owner does not serve the slot yet and no live master does: it takes it (ADDSLOTS / NODE + BUMPEPOCH). */
      claims?: boolean;
      /** Set when keys of the slot may sit on a failed master nobody can ask. */
      caveat?: string;
    }
  | { ok: false; slot: number; reason: string };

const short = (n: { addr: Addr; id: NodeId }) => `${n.addr} (${n.id.slice(0, 8)})`;
const keysText = (k: number) => `${k} key${k === 1 ? '' : 's'}`;

function hasMarker(n: ClusterNode, slot: number): boolean {
  return [...n.migrating, ...n.importing].some((m) => m.slot === slot);
}

/** Key count of the slot per master id, from the scan's COUNTKEYSINSLOT (undefined: not counted). */
export function slotCounts(topology: Topology, slot: number): Map<NodeId, number> | undefined {
  const entry = topology.slotKeys?.find((e) => e.slot === slot);
  return entry ? new Map(entry.counts.map((c) => [c.id, c.keys])) : undefined;
}

/** Slots where a reachable master that does not own the slot holds keys of it. */
export function strayKeySlots(topology: Topology): number[] {
  const out: number[] = [];
  for (const e of topology.slotKeys ?? []) {
    const stray = e.counts.some((c) => {
      const n = topology.nodes.find((x) => x.id === c.id);
      return c.keys > 0 && n !== undefined && !ownsSlot(n, e.slot);
    });
    if (stray) out.push(e.slot);
  }
  return out;
}

/** No key counts for the slot (a picture from before counting): keep its one live owner, if any. */
function uncounted(topology: Topology, masters: ClusterNode[], slot: number): SlotDecision {
  const owners = masters.filter((n) => ownsSlot(n, slot));
  if (owners.length !== 1) return { ok: false, slot, reason: `the keys of slot ${slot} were not counted` };
  const o = owners[0]!;
  return {
    ok: true,
    slot,
    owner: { id: o.id, addr: o.addr!, keys: 0 },
    holders: [],
    open: masters.filter((n) => hasMarker(n, slot)).map((n) => n.addr!),
    reason: `${short({ addr: o.addr!, id: o.id })} owns slot ${slot} (keys not counted in this picture)`,
    ...(topology.nodes.some((n) => n.role === 'master' && !answers(topology, n))
      ? { caveat: 'a failed master cannot be asked' }
      : {}),
  };
}

export function decideSlot(topology: Topology, slot: number): SlotDecision {
  const masters = topology.nodes.filter((n) => n.role === 'master' && n.addr && answers(topology, n));
  const entry = topology.slotKeys?.find((e) => e.slot === slot);
  if (!entry) return uncounted(topology, masters, slot);
  if (entry.unknown?.length) {
    return {
      ok: false,
      slot,
      reason: `slot ${slot}: ${entry.unknown.join(', ')} did not answer COUNTKEYSINSLOT, so where its keys are is unknown`,
    };
  }
  // A master we cannot ask but that is not flagged failed may be alive and hold keys (redis-cli refuses too).
  const unsure = topology.nodes.filter(
    (n) => n.role === 'master' && !answers(topology, n) && n.health !== 'fail' && n.health !== 'noaddr',
  );
  if (unsure.length > 0) {
    return {
      ok: false,
      slot,
      reason: `slot ${slot}: master ${unsure.map((n) => n.addr ?? n.id.slice(0, 8)).join(', ')} does not answer but is not flagged failed; it may hold keys of the slot, so it is not repaired until that node is back or failed`,
    };
  }
  const counts = new Map(entry.counts.map((c) => [c.id, c.keys]));
  const node = (n: ClusterNode): SlotNode => ({ id: n.id, addr: n.addr!, keys: counts.get(n.id) ?? 0 });
  const owners = masters.filter((n) => ownsSlot(n, slot));
  const claimants = masters.filter((n) => ownsSlot(n, slot) || (counts.get(n.id) ?? 0) > 0).map(node);
  const current = owners.length === 1 ? node(owners[0]!) : undefined;
  const open = masters.filter((n) => hasMarker(n, slot)).map((n) => n.addr!);
  const failed = topology.nodes.filter((n) => n.role === 'master' && !answers(topology, n));
  const caveat =
    failed.length > 0
      ? `${failed.map((n) => n.addr ?? n.id.slice(0, 8)).join(', ')} is failed and cannot be asked: keys of slot ${slot} it may hold are not counted`
      : undefined;
  let owner: SlotNode;
  let reason: string;
  if (claimants.length === 1) {
    owner = claimants[0]!;
    reason = current
      ? `${short(owner)} owns slot ${slot}`
      : `only ${short(owner)} holds keys of slot ${slot} (${keysText(owner.keys)}) and no live master owns it`;
  } else if (claimants.length > 1) {
    owner = [...claimants].sort(
      (a, b) => b.keys - a.keys || Number(b.id === current?.id) - Number(a.id === current?.id),
    )[0]!;
    const who = claimants
      .map((c) => `${short(c)}${c.id === current?.id ? ' owns it with' : ' holds'} ${keysText(c.keys)}`)
      .join(', ');
    reason = `no single clear owner of slot ${slot} (${who}): ${short(owner)} has the most keys and keeps it, as redis-cli --cluster fix chooses`;
  } else {
    // No key anywhere. A slot nobody at all serves goes to the live master that had it open (redis-cli
    // covers such a slot with a node of its choice); one a failed master still serves waits for its failover.
    const servedByAnyone = topology.nodes.some((n) => n.role === 'master' && ownsSlot(n, slot));
    const opener = masters.find((n) => hasMarker(n, slot));
    if (servedByAnyone || !opener) {
      return {
        ok: false,
        slot,
        reason: `slot ${slot} has no live owner and no live master holds keys of it`,
      };
    }
    owner = node(opener);
    reason = `slot ${slot} has no owner and no key anywhere: ${short(owner)}, which had it open, takes it`;
  }
  // A migration both sides of which are open, with no key moved yet: finish it (redis-cli's case 1).
  const src = current && current.id === owner.id ? owners[0]! : undefined;
  const dstId = src?.migrating.find((m) => m.slot === slot)?.nodeId;
  const dst = masters.find((n) => n.id === dstId && n.importing.some((m) => m.slot === slot));
  const others = claimants.filter((c) => c.id !== owner.id);
  if (src && dst && others.length === 0) {
    const to = node(dst);
    return {
      ok: true,
      slot,
      owner: to,
      current: node(src),
      holders: [],
      open,
      reason: `slot ${slot} is migrating from ${short(node(src))} to ${short(to)}, both open, and only the source holds keys: the migration is finished (redis-cli's case 1)`,
      ...(caveat ? { caveat } : {}),
    };
  }
  return {
    ok: true,
    slot,
    owner,
    ...(current && current.id !== owner.id ? { current } : {}),
    holders: others.filter((c) => c.id !== current?.id && c.keys > 0),
    open,
    reason,
    ...(!current && !owners.some((o) => o.id === owner.id) ? { claims: true } : {}),
    ...(caveat ? { caveat } : {}),
  };
}
