/**
 * Keys at risk (issue 14, part 3): what each step of a plan can drop, from the live cluster. Pure: the
 * caller asks the live nodes for the key counts listed by `keyCountRequests` (COUNTKEYSINSLOT) and hands
 * the answers to `withKeysAtRisk`; replication offsets come from the topology itself.
 */
import { answers, nodeById } from '../plans/cluster-view.ts';
import { describeNode, formatRanges } from '../plans/plan.ts';
import { rangesContain, rangesOverlap } from '../topology/slots.ts';
import type {
  Addr,
  ClusterNode,
  KeysAtRisk,
  Plan,
  ReplicationInfo,
  SlotRange,
  Step,
  Topology,
} from '../types.ts';

/** One count the estimate needs: the keys of `slots` on the live node at `addr`. */
export interface KeyCountRequest {
  addr: Addr;
  slots: SlotRange[];
}

/** Answers to KeyCountRequests, by `countKey`: a number, or null when the node did not answer in time. */
export type KeyCounts = ReadonlyMap<string, number | null>;

export const countKey = (r: KeyCountRequest): string => `${r.addr}|${formatRanges(r.slots)}`;

/**
 * Replication bytes per write used to turn an offset difference into writes: a SET of a short key and a
 * short value takes ~40–60 bytes of replication stream. Bigger values mean fewer writes: the figure is ≈.
 */
export const BYTES_PER_WRITE = 50;

/** Where the keys of some slots live: live nodes to count on, and holders nobody can ask. */
interface Holders {
  live: ClusterNode[];
  dead: string[];
}

/** Who holds keys of `slots`, other than `exceptId`: owners (or a live replica of a dead owner) and live masters with keys. */
function slotHolders(topology: Topology, slots: SlotRange[], exceptId: string): Holders {
  const live: ClusterNode[] = [];
  const dead: string[] = [];
  for (const m of topology.nodes) {
    if (m.role !== 'master' || m.id === exceptId || m.health === 'handshake') continue;
    const open = [...m.migrating, ...m.importing].map((x) => ({ start: x.slot, end: x.slot }));
    const holds = rangesOverlap(m.slots, slots) || rangesOverlap(open, slots);
    if (answers(topology, m)) {
      // A live master that does not own them may still hold stray keys of them: count there too.
      if (holds || (m.keys ?? 1) > 0) live.push(m);
      continue;
    }
    if (!holds) continue;
    const copy = bestLiveReplica(topology, m);
    if (copy) live.push(copy);
    else dead.push(describeNode(m));
  }
  return { live, dead };
}

function bestLiveReplica(topology: Topology, master: ClusterNode): ClusterNode | undefined {
  return topology.nodes
    .filter((r) => r.role === 'replica' && r.masterId === master.id && answers(topology, r))
    .sort((a, b) => offsetOf(b.replication) - offsetOf(a.replication))[0];
}

function offsetOf(r: ReplicationInfo | undefined): number {
  return r?.slaveReplOffset ?? r?.masterReplOffset ?? 0;
}

/** Slots of a forgotten master that an earlier step of the plan already gives away (counted there). */
function movedEarlier(plan: Plan, index: number, master: ClusterNode): boolean {
  return plan.steps
    .slice(0, index)
    .some(
      (s) =>
        (s.kind === 'failover' && s.masterId === master.id) ||
        (s.kind === 'fix-slots' && s.action === 'assign' && rangesContain(s.slots, master.slots)),
    );
}

/** The slots whose keys a step can drop, and who to count them on; undefined for steps that drop no key. */
function slotQuestion(
  plan: Plan,
  index: number,
  topology: Topology,
): { slots: SlotRange[]; holders: Holders; countLive: boolean } | undefined {
  const step = plan.steps[index];
  if (step?.kind === 'fix-slots') {
    const holders = slotHolders(topology, step.slots, step.targetId);
    // Closing open slots moves keys to the owner: only holders nobody can reach may lose theirs.
    return { slots: step.slots, holders, countLive: step.action === 'assign' };
  }
  if (step?.kind === 'forget') {
    const n = nodeById(topology, step.nodeId);
    if (n?.role !== 'master' || n.slots.length === 0 || movedEarlier(plan, index, n)) return undefined;
    const copy = bestLiveReplica(topology, n);
    const holders: Holders = copy ? { live: [copy], dead: [] } : { live: [], dead: [describeNode(n)] };
    return { slots: n.slots, holders, countLive: true };
  }
  return undefined;
}

/**
 * The counts the live cluster must answer for `plan` (or only its step `only`): deduplicated, and nodes
 * known to be empty are skipped.
 */
export function keyCountRequests(plan: Plan, topology: Topology, only?: number): KeyCountRequest[] {
  const out = new Map<string, KeyCountRequest>();
  plan.steps.forEach((_, i) => {
    if (only !== undefined && i !== only) return;
    const q = slotQuestion(plan, i, topology);
    if (!q?.countLive) return;
    for (const n of q.holders.live) {
      if (!n.addr || n.keys === 0) continue;
      const r = { addr: n.addr, slots: q.slots };
      out.set(countKey(r), r);
    }
  });
  return [...out.values()];
}

/** What step `index` can drop, from `topology` and the answered counts; undefined when it drops nothing. */
export function estimateStep(
  plan: Plan,
  index: number,
  topology: Topology,
  counts: KeyCounts,
): KeysAtRisk | undefined {
  const step = plan.steps[index];
  if (!step) return undefined;
  const q = slotQuestion(plan, index, topology);
  if (q) return slotEstimate(q, counts);
  return offsetEstimate(step, topology);
}

function slotEstimate(
  q: { slots: SlotRange[]; holders: Holders; countLive: boolean },
  counts: KeyCounts,
): KeysAtRisk {
  const why: string[] = [];
  let keys: number | null = 0;
  if (q.countLive) {
    for (const n of q.holders.live) {
      if (!n.addr || n.keys === 0) continue;
      const c = counts.get(countKey({ addr: n.addr, slots: q.slots }));
      if (typeof c === 'number') {
        if (keys !== null) keys += c;
      } else {
        keys = null;
        why.push(`${describeNode(n)} did not answer the count in time`);
      }
    }
  }
  if (q.holders.dead.length > 0) {
    keys = null;
    why.push(`${q.holders.dead.join(', ')} held them and is down, and no replica of it answers`);
  }
  return { keys, slots: q.slots, ...(why.length > 0 ? { unknownWhy: why } : {}) };
}

/** Failovers and promotions: writes the promoted replica has not received (master offset − replica offset). */
function offsetEstimate(step: Step, topology: Topology): KeysAtRisk | undefined {
  switch (step.kind) {
    case 'failover': {
      if (step.mode === 'default') return { writes: 0 };
      const master = nodeById(topology, step.masterId);
      const replica = nodeById(topology, step.replicaId);
      const masterUp = Boolean(master && answers(topology, master));
      return lag(
        masterUp ? master?.replication : undefined,
        master?.addr ?? describeNode(master, step.masterId),
        step.addr,
        replica?.replication,
      );
    }
    case 'promote': {
      if (step.handover) return { writes: 0 };
      const former = step.formerMaster ? probeOf(topology, step.formerMaster) : undefined;
      return lag(former, step.formerMaster ?? '?', step.addr, probeOf(topology, step.addr));
    }
    case 'sentinel-failover': {
      const master = step.masterAddr ? probeOf(topology, step.masterAddr) : undefined;
      // Sentinel picks the replica: the best offset among them is the least it can lose.
      const best = master?.replicas.slice().sort((a, b) => b.offset - a.offset)[0];
      return lag(master, step.masterAddr ?? '?', best ? `${best.ip}:${best.port}` : '?', undefined);
    }
    case 'replicaof': {
      if (step.expectEmpty) return { keys: 0 };
      const p = topology.probes.find((x) => x.addr === step.addr && x.outcome === 'ok');
      return typeof p?.keys === 'number'
        ? { keys: p.keys }
        : { keys: null, unknownWhy: [`${step.addr} did not tell how many keys it holds`] };
    }
    default:
      return undefined;
  }
}

function probeOf(topology: Topology, addr: Addr): ReplicationInfo | undefined {
  return topology.probes.find((p) => p.addr === addr && p.outcome === 'ok')?.replication;
}

/** ≈ writes from an offset difference (at least 1 when any byte is behind). */
export function writesFromBytes(bytes: number): number {
  return bytes <= 0 ? 0 : Math.max(1, Math.round(bytes / BYTES_PER_WRITE));
}

function lag(
  master: ReplicationInfo | undefined,
  masterName: string,
  replicaAddr: Addr,
  replica: ReplicationInfo | undefined,
): KeysAtRisk {
  if (master?.role !== 'master') {
    const last = replica?.slaveReplOffset;
    const since = replica?.masterLinkDownSinceSeconds;
    return {
      writes: null,
      unknownWhy: [
        `master ${masterName} is down: the writes it took after ${replicaAddr} last heard from it${since !== undefined && since >= 0 ? ` (${since} s ago)` : ''} are lost${last !== undefined ? ` (the replica's last offset is ${last})` : ''}`,
      ],
    };
  }
  const line = master.replicas.find((r) => `${r.ip}:${r.port}` === replicaAddr);
  const offset = line?.offset ?? replica?.slaveReplOffset;
  if (offset === undefined)
    return { writes: null, unknownWhy: [`${replicaAddr} did not tell its replication offset`] };
  const bytes = Math.max(0, master.masterReplOffset - offset);
  return { writes: writesFromBytes(bytes), lagBytes: bytes };
}

/** Adds up estimates: counts add, an unknown makes the sum unknown, slots and reasons are collected. */
export function sumKeysAtRisk(parts: KeysAtRisk[]): KeysAtRisk {
  const out: KeysAtRisk = { keys: 0 };
  const slots: SlotRange[] = [];
  const why: string[] = [];
  for (const p of parts) {
    if (p.keys !== undefined)
      out.keys = p.keys === null || out.keys === null ? null : (out.keys ?? 0) + p.keys;
    if (p.writes !== undefined)
      out.writes = p.writes === null || out.writes === null ? null : (out.writes ?? 0) + p.writes;
    if (p.lagBytes !== undefined) out.lagBytes = (out.lagBytes ?? 0) + p.lagBytes;
    if (p.keys !== 0 && p.slots) slots.push(...p.slots);
    for (const w of p.unknownWhy ?? []) if (!why.includes(w)) why.push(w);
  }
  if (slots.length > 0) out.slots = mergeRanges(slots);
  if (why.length > 0) out.unknownWhy = why;
  return out;
}

function mergeRanges(ranges: SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: SlotRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** The plan with each step's estimate and their sum attached (steps that drop nothing get none). */
export function withKeysAtRisk(plan: Plan, topology: Topology, counts: KeyCounts): Plan {
  const estimates: KeysAtRisk[] = [];
  const steps = plan.steps.map((s, i) => {
    const e = estimateStep(plan, i, topology, counts);
    if (!e) return s;
    estimates.push(e);
    return { ...s, keysAtRisk: e };
  });
  return { ...plan, steps, keysAtRisk: sumKeysAtRisk(estimates) };
}
