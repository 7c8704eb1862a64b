/** What the repair phases of `planForFindings` share: the topology, the steps so far, and the masters to be. */
import type { ClusterNode, NodeId, Probe, Step, Topology } from '../../types.ts';
import { type MasterSlot, servingMasters } from '../choose-master.ts';
import { isMajorityLost, joinableOutsiders } from '../cluster-view.ts';
import type { PlanContext } from '../plan.ts';

/** Steps by group, run in this order (see `orderedSteps`). */
export interface StepGroups {
  failovers: Step[];
  forgets: Step[];
  stables: Step[];
  meets: Step[];
  assigns: Step[];
  lateForgets: Step[];
  replicates: Step[];
}

export interface RepairState {
  topology: Topology;
  ctx: PlanContext;
  majorityLost: boolean;
  /** Members, without handshake entries. */
  nodes: ClusterNode[];
  /** Outsiders a plan may bring in. */
  outsiders: Probe[];
  notes: string[];
  titles: string[];
  steps: StepGroups;
  /** Masters as they will be after the plan: id → slot in the choice table. */
  projected: Map<NodeId, MasterSlot>;
  /** Down nodes whose slots the plan moves away: they can be forgotten after that. */
  slotsMovedAway: Set<NodeId>;
  usedOutsiders: Set<string>;
  /** A master and its replicas gone for good whose slots the plan gives away (only with acceptDataLoss). */
  lostShards: Set<NodeId>;
  /** Dead replicas of such a shard already named in its "bring it back" note. */
  namedInShardNote: Set<NodeId>;
  /** Slots the open-slot repair already handles. */
  slotsHandled: Set<number>;
  offersDataLoss: boolean;
}

export function newRepairState(topology: Topology, ctx: PlanContext): RepairState {
  const projected = new Map<NodeId, MasterSlot>();
  for (const m of servingMasters(topology)) projected.set(m.id, m);
  return {
    topology,
    ctx,
    majorityLost: isMajorityLost(topology),
    nodes: topology.nodes.filter((n) => n.health !== 'handshake'),
    outsiders: joinableOutsiders(topology),
    notes: [],
    titles: [],
    steps: {
      failovers: [],
      forgets: [],
      stables: [],
      meets: [],
      assigns: [],
      lateForgets: [],
      replicates: [],
    },
    projected,
    slotsMovedAway: new Set(),
    usedOutsiders: new Set(),
    lostShards: new Set(),
    namedInShardNote: new Set(),
    slotsHandled: new Set(),
    offersDataLoss: false,
  };
}

export function orderedSteps({ steps: s }: RepairState): Step[] {
  return [
    ...s.failovers,
    ...s.forgets,
    ...s.stables,
    ...s.meets,
    ...s.assigns,
    ...s.lateForgets,
    ...s.replicates,
  ];
}

/** A new master the plan creates (or promotes), with no replica yet unless told. */
export function project(
  s: RepairState,
  id: NodeId,
  addr: string | null,
  k8sNode: string | null | undefined,
  replicas = 0,
): void {
  s.projected.set(id, { id, addr, replicas, k8sNode: k8sNode ?? null });
}

export function outsiderLabel(o: Probe): string {
  return `${o.addr} (${o.myId ? o.myId.slice(0, 8) : '?'}${o.pod ? ` pod ${o.pod.name}` : ''}, new)`;
}
