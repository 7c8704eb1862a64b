/**
 * Findings + topology → a recovery plan (design.md, "Planning rules from the write-ups"). Pure.
 *
 * The plan is derived from the topology itself (who is down, who serves which slots, who is outside); the
 * findings say which problems the plan answers and are copied into it.
 */
import { ErrorCodes } from '../errors.ts';
import { planForStandalone } from '../standalone/planner.ts';
import { replicaNeverSynced } from '../topology/analyze.ts';
import { findMovedNodes } from '../topology/moved-nodes.ts';
import type {
  ClusterNode,
  Finding,
  NodeId,
  PlanOutcome,
  Probe,
  SlotRange,
  Step,
  Topology,
} from '../types.ts';
import { chooseMaster, isHealthyReplica, type MasterSlot, servingMasters } from './choose-master.ts';
import {
  answers,
  isDown,
  isMajorityLost,
  joinableOutsiders,
  replicationOffset,
  slotMasters,
  uncoveredRanges,
  unreachableRefusal,
} from './cluster-view.ts';
import { lostShardAssign, lostShardNote, lostShardTarget } from './lost-shard.ts';
import {
  assemblePlan,
  assignSlotsStep,
  describeNode,
  failoverStep,
  forgetStep,
  formatRanges,
  meetStep,
  type PlanContext,
  replicateStep,
  toRanges,
} from './plan.ts';
import { planReintroduction, planStaleReplicaLinks } from './reintroduce-plan.ts';
import { onlyOpenSlots, planSlotRepairs } from './slot-repair-plan.ts';

export type { PlanContext } from './plan.ts';

function outsiderLabel(o: Probe): string {
  return `${o.addr} (${o.myId ? o.myId.slice(0, 8) : '?'}${o.pod ? ` pod ${o.pod.name}` : ''}, new)`;
}

/** The best replica to promote: the highest replication offset, then the lowest address. */
export function bestReplica(candidates: ClusterNode[]): ClusterNode | undefined {
  return [...candidates].sort(
    (a, b) => replicationOffset(b) - replicationOffset(a) || String(a.addr).localeCompare(String(b.addr)),
  )[0];
}

export function planForFindings(topology: Topology, findings: Finding[], ctx: PlanContext): PlanOutcome {
  const blind = unreachableRefusal(topology);
  if (blind) return blind;
  // Plain master/replica deployments have their own planner (src/core/standalone, issue 10).
  if (topology.mode === 'standalone') return planForStandalone(topology, findings, ctx);
  // Nodes back at new IPs with their ids (every pod restarted at once): re-introduce them first. Their stale
  // entries look failed; forgetting or re-joining them would throw away intact data (issue 14).
  const moved = findMovedNodes(topology);
  if (moved.length > 0) return planReintroduction(topology, moved, findings, ctx);
  // Right after a failover, gossip has not reached everyone: a plan made from half the story could hand
  // served slots to an empty node. Wait until the live nodes agree on who owns what.
  // A new replica that one node still calls a slot-less master is harmless; a role question about a node that
  // serves slots (a promotion in flight) is not.
  const servesSlots = (id: NodeId | undefined) => {
    const n = id ? topology.nodes.find((x) => x.id === id) : undefined;
    return !n || n.role === 'master' || n.slots.length > 0;
  };
  const unsettled = topology.disagreements.find(
    (d) =>
      (d.kind === 'slots' && !onlyOpenSlots(topology, d)) || (d.kind === 'role' && servesSlots(d.nodeId)),
  );
  if (unsettled) {
    const views = unsettled.views.map((v) => `${v.observer} says ${v.says}`).join('; ');
    return {
      ok: false,
      code: 'CLUSTER_SETTLING',
      reason: `the nodes do not agree yet on ${unsettled.subject} (${views}). Redis is probably still spreading a failover by gossip: diagnose again in a few seconds.`,
    };
  }
  const notes: string[] = [];
  const titles: string[] = [];
  const majorityLost = isMajorityLost(topology);
  const nodes = topology.nodes.filter((n) => n.health !== 'handshake');

  const failovers: Step[] = [];
  const forgets: Step[] = [];
  const stables: Step[] = [];
  const meets: Step[] = [];
  const assigns: Step[] = [];
  const lateForgets: Step[] = [];
  const replicates: Step[] = [];

  /** Masters as they will be after the plan: id → slot in the choice table. */
  const projected = new Map<NodeId, MasterSlot>();
  for (const m of servingMasters(topology)) projected.set(m.id, m);
  /** Down nodes whose slots the plan moves away: they can be forgotten after that. */
  const slotsMovedAway = new Set<NodeId>();
  const usedOutsiders = new Set<string>();
  const outsiders = joinableOutsiders(topology);
  /** A master and its replicas gone for good whose slots the plan gives away (only with acceptDataLoss). */
  const lostShards = new Set<NodeId>();
  /** Dead replicas of such a shard already named in its "bring it back" note. */
  const namedInShardNote = new Set<NodeId>();
  let offersDataLoss = false;

  // 1. Serve every slot of a down master again: promote its best replica, else give its slots to a new node.
  for (const dead of slotMasters(topology)) {
    if (!isDown(topology, dead, majorityLost)) {
      if (!answers(topology, dead) && dead.health !== 'ok') {
        notes.push(
          `${describeNode(dead)} does not answer but a majority has not flagged it failed yet; Redis may still fail it over by itself: diagnose again in a few seconds.`,
        );
      }
      continue;
    }
    const candidates = nodes.filter(
      (r) => r.role === 'replica' && r.masterId === dead.id && answers(topology, r) && r.health !== 'fail',
    );
    const best = bestReplica(candidates);
    if (best) {
      const mode = majorityLost ? 'takeover' : 'force';
      const step = failoverStep(best, dead, dead.id, mode, true);
      const wipedBy = wipedReplicaSource(topology, best);
      if (wipedBy) {
        // The pod came back at the same address, empty: the replica resynced from it (write-up 004, part 2).
        step.risk = 'data-loss';
        step.sentence = `${step.sentence} Its replica already resynced from the new empty node at ${wipedBy} and holds ${best.keys ?? 0} keys: the data of these slots is gone.`;
      } else if (replicaNeverSynced(best.replication) && (best.keys ?? 0) === 0) {
        // Its master died before the first sync (platform facts): FORCE works, but it brings no data.
        step.risk = 'data-loss';
        step.sentence = `${step.sentence} This replica never finished a sync and holds no key: the data of these slots is gone.`;
      }
      failovers.push(step);
      slotsMovedAway.add(dead.id);
      projected.set(best.id, {
        id: best.id,
        addr: best.addr,
        replicas: candidates.filter((r) => r.id !== best.id && isHealthyReplica(r)).length,
        k8sNode: best.pod?.nodeName ?? null,
      });
      titles.push(
        mode === 'takeover'
          ? `take over ${formatRanges(dead.slots)} on ${best.addr} (majority of masters lost)`
          : `force failover of ${dead.addr ?? dead.id.slice(0, 8)} to ${best.addr}`,
      );
      continue;
    }
    // No replica: the data of these slots is gone. A new empty node (the restarted pod) takes them.
    const fresh =
      outsiders.find((o) => !usedOutsiders.has(o.addr) && (o.addr === dead.addr || samePod(o, dead))) ??
      outsiders.find((o) => !usedOutsiders.has(o.addr));
    if (fresh?.myId) {
      usedOutsiders.add(fresh.addr);
      meets.push(meetStep(topology, fresh.addr, outsiderLabel(fresh)));
      assigns.push(assignSlotsStep(fresh.addr, fresh.myId, dead.slots, outsiderLabel(fresh)));
      slotsMovedAway.add(dead.id);
      projected.set(fresh.myId, {
        id: fresh.myId,
        addr: fresh.addr,
        replicas: 0,
        k8sNode: fresh.pod?.nodeName ?? null,
      });
      titles.push(`give the lost slots of ${describeNode(dead)} to ${fresh.addr} (data loss)`);
    } else {
      // Bring it back first; giving its slots away empty only when asked (diagnose --accept-data-loss).
      const deadReplicas = nodes.filter((r) => r.role === 'replica' && r.masterId === dead.id);
      const target = lostShardTarget(topology, new Set(projected.keys()));
      if (ctx.acceptDataLoss && target) {
        assigns.push(lostShardAssign(dead, deadReplicas, target));
        slotsMovedAway.add(dead.id);
        for (const n of [dead, ...deadReplicas]) lostShards.add(n.id);
        if (!projected.has(target.id))
          projected.set(target.id, {
            id: target.id,
            addr: target.addr,
            replicas: 0,
            k8sNode: target.pod?.nodeName ?? null,
          });
        titles.push(
          `give the slots of ${describeNode(dead)}, lost with its replicas, to ${target.addr} (data loss)`,
        );
      } else {
        notes.push(lostShardNote(dead, deadReplicas, target));
        offersDataLoss ||= target !== undefined;
        for (const r of deadReplicas) namedInShardNote.add(r.id);
      }
    }
  }

  // 2. Forget the dead: on a replaced pod (a new node is there), when the majority was lost, or when its
  //    address now answers with another id. A dead node that may restart with its nodes.conf is left alone.
  const replaced = outsiders.length > 0 || majorityLost;
  for (const n of nodes) {
    if (!isDown(topology, n, majorityLost)) continue;
    const hasSlots = n.role === 'master' && n.slots.length > 0;
    if (hasSlots && !slotsMovedAway.has(n.id)) continue;
    const followers = nodes.filter((r) => r.masterId === n.id && answers(topology, r));
    if (followers.length > 0 && !slotsMovedAway.has(n.id)) continue;
    if (!replaced && !lostShards.has(n.id) && n.health !== 'noaddr') {
      if (!namedInShardNote.has(n.id))
        notes.push(
          `${describeNode(n)} is down; if it will not come back, /redis forget ${n.id.slice(0, 8)} removes it.`,
        );
      continue;
    }
    const isLate = assigns.some((s) => s.kind === 'fix-slots' && hasSlots && sameRanges(s.slots, n.slots));
    (isLate ? lateForgets : forgets).push(
      forgetStep(
        topology,
        n,
        n.health === 'noaddr' ? 'its address now answers with another node id' : 'it is gone',
      ),
    );
    if (!hasSlots) titles.push(`forget ${n.addr ?? n.id.slice(0, 8)}`);
  }

  // 3. Open slots and keys on masters that do not own their slot: as `redis-cli --cluster fix` does.
  const slotPart = planSlotRepairs(topology);
  stables.push(...slotPart.steps);
  titles.push(...slotPart.titles);
  notes.push(...slotPart.notes);

  // 4. Slots nobody claims: to a new node if there is one, else to the live master with the fewest slots.
  const holes = withoutSlots(uncoveredRanges(topology), slotPart.handled);
  if (holes.length > 0) {
    const fresh = outsiders.find((o) => !usedOutsiders.has(o.addr));
    if (fresh?.myId) {
      usedOutsiders.add(fresh.addr);
      meets.push(meetStep(topology, fresh.addr, outsiderLabel(fresh)));
      assigns.push(assignSlotsStep(fresh.addr, fresh.myId, holes, outsiderLabel(fresh)));
      projected.set(fresh.myId, {
        id: fresh.myId,
        addr: fresh.addr,
        replicas: 0,
        k8sNode: fresh.pod?.nodeName ?? null,
      });
    } else {
      const target = nodes
        .filter((n) => n.role === 'master' && n.slots.length > 0 && answers(topology, n) && n.health === 'ok')
        .sort(
          (a, b) => countSlots(a.slots) - countSlots(b.slots) || String(a.addr).localeCompare(String(b.addr)),
        )[0];
      if (target?.addr) assigns.push(assignSlotsStep(target.addr, target.id, holes, describeNode(target)));
      else notes.push(`slots ${formatRanges(holes)} have no owner and no live master can take them.`);
    }
    titles.push(`assign the uncovered slots ${formatRanges(holes)} (data loss)`);
  }

  // 5. Every other new node and every empty member master joins as a replica.
  const joiners: { addr: string; id: string; label: string; k8sNode: string | null; needsMeet: boolean }[] =
    [];
  for (const o of outsiders) {
    if (usedOutsiders.has(o.addr)) continue;
    joiners.push({
      addr: o.addr,
      id: o.myId!,
      label: outsiderLabel(o),
      k8sNode: o.pod?.nodeName ?? null,
      needsMeet: true,
    });
  }
  for (const o of topology.outsiders) {
    if (o.outcome === 'ok' && o.clusterEnabled !== false && (o.keys ?? 0) > 0) {
      notes.push(`${o.addr} is outside the cluster but holds ${o.keys} keys: not joining it automatically.`);
    }
  }
  for (const n of nodes) {
    if (n.role !== 'master' || n.slots.length > 0 || !n.addr || !answers(topology, n) || n.health !== 'ok')
      continue;
    if ((n.keys ?? 0) > 0) continue;
    if (nodes.some((r) => r.masterId === n.id)) continue;
    if (projected.has(n.id)) continue;
    joiners.push({
      addr: n.addr,
      id: n.id,
      label: describeNode(n),
      k8sNode: n.pod?.nodeName ?? null,
      needsMeet: false,
    });
  }
  for (const j of joiners) {
    const choice = chooseMaster([...projected.values()], j.k8sNode);
    if (!choice) {
      notes.push(`${j.label} could join as a replica, but no master serves slots.`);
      continue;
    }
    const master = projected.get(choice.id)!;
    master.replicas++;
    const masterNode = nodes.find((n) => n.id === choice.id) ?? pseudoNode(choice.id, master.addr);
    if (j.needsMeet) meets.push(meetStep(topology, j.addr, j.label));
    const step = replicateStep(j.addr, masterNode, j.label);
    step.sentence = `${step.sentence.replace(/\.$/, '')} (chosen because ${choice.reason}).`;
    replicates.push(step);
    titles.push(`join ${j.addr} as replica of ${master.addr ?? choice.id.slice(0, 8)}`);
  }

  const steps = [...failovers, ...forgets, ...stables, ...meets, ...assigns, ...lateForgets, ...replicates];
  if (steps.length === 0) {
    // Nothing else to do, but replicas still sync from their master's old address (after a re-MEET by hand).
    const relink = planStaleReplicaLinks(topology, findings, ctx);
    if (relink) return relink;
    const open = findings.filter((f) => f.severity !== 'info').map((f) => f.summary);
    const reason =
      notes.length > 0
        ? notes.join(' ')
        : open.length > 0
          ? `No automatic repair for: ${open.join('; ')}`
          : 'The cluster is healthy: nothing to do.';
    return { ok: false, code: ErrorCodes.NothingToDo, reason, ...(offersDataLoss ? { offersDataLoss } : {}) };
  }
  const title = capitalise(titles.join('; ')) || 'Repair the cluster';
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
}

/** The address of a new, empty node the replica now syncs from, when it holds no key: its data was wiped. */
function wipedReplicaSource(topology: Topology, replica: ClusterNode): string | undefined {
  const r = replica.replication;
  if (!r?.masterHost || !r.masterPort || (replica.keys ?? 0) > 0) return undefined;
  const addr = `${r.masterHost}:${r.masterPort}`;
  return topology.outsiders.some((o) => o.addr === addr) ? addr : undefined;
}

/** `ranges` minus the slots in `drop`. */
function withoutSlots(ranges: SlotRange[], drop: Set<number>): SlotRange[] {
  if (drop.size === 0) return ranges;
  const keep: number[] = [];
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) if (!drop.has(s)) keep.push(s);
  return toRanges(keep);
}

function samePod(o: Probe, n: ClusterNode): boolean {
  return Boolean(o.pod && n.pod && o.pod.name === n.pod.name);
}

function sameRanges(a: SlotRange[], b: SlotRange[]): boolean {
  return formatRanges(a) === formatRanges(b);
}

function countSlots(ranges: SlotRange[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start + 1, 0);
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** A master the plan creates (a new node given slots): enough of a ClusterNode to name it. */
function pseudoNode(id: NodeId, addr: string | null): ClusterNode {
  return {
    id,
    addr,
    role: 'master',
    masterId: null,
    slots: [],
    migrating: [],
    importing: [],
    configEpoch: 0,
    flags: ['master'],
    health: 'ok',
    reachable: true,
    failReportedBy: [],
    pfailReportedBy: [],
  };
}
