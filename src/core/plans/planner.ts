/** Findings + topology → a recovery plan (design.md, "Planning rules from the write-ups"), by the phases of `repair/`. Pure. */
import { ErrorCodes } from '../errors.ts';
import { planForStandalone } from '../standalone/planner.ts';
import { findMovedNodes } from '../topology/moved-nodes.ts';
import type { Finding, NodeId, PlanOutcome, Topology } from '../types.ts';
import { unreachableRefusal } from './cluster-view.ts';
import { assemblePlan, type PlanContext } from './plan.ts';
import { planReintroduction, planStaleReplicaLinks } from './reintroduce-plan.ts';
import { serveDownMasters } from './repair/down-masters.ts';
import { forgetTheDead } from './repair/forget-dead.ts';
import { joinAsReplicas } from './repair/joiners.ts';
import { assignUncoveredSlots, repairOpenSlots } from './repair/slots.ts';
import { newRepairState, orderedSteps, type RepairState } from './repair/state.ts';
import { onlyOpenSlots } from './slot-repair-plan.ts';

export type { PlanContext } from './plan.ts';
export { bestReplica } from './repair/down-masters.ts';

/** The repair phases, in order: each adds steps, titles and notes to the shared state. */
const REPAIR_PHASES: readonly ((s: RepairState) => void)[] = [
  serveDownMasters,
  forgetTheDead,
  repairOpenSlots,
  assignUncoveredSlots,
  joinAsReplicas,
];

export function planForFindings(topology: Topology, findings: Finding[], ctx: PlanContext): PlanOutcome {
  const blind = unreachableRefusal(topology);
  if (blind) return blind;
  // Plain master/replica deployments have their own planner (src/core/standalone, issue 10).
  if (topology.mode === 'standalone') return planForStandalone(topology, findings, ctx);
  // Nodes back at new IPs with their ids (every pod restarted at once): re-introduce them first. Their stale
  // entries look failed; forgetting or re-joining them would throw away intact data (issue 14).
  const moved = findMovedNodes(topology);
  if (moved.length > 0) return planReintroduction(topology, moved, findings, ctx);
  const settling = settlingRefusal(topology);
  if (settling) return settling;
  const s = newRepairState(topology, ctx);
  for (const phase of REPAIR_PHASES) phase(s);
  const steps = orderedSteps(s);
  if (steps.length === 0) return nothingToDo(s, findings);
  const title = capitalise(s.titles.join('; ')) || 'Repair the cluster';
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
}

/**
 * Right after a failover, gossip has not reached everyone: a plan made from half the story could hand
 * served slots to an empty node. Wait until the live nodes agree on who owns what.
 * A new replica that one node still calls a slot-less master is harmless; a role question about a node that
 * serves slots (a promotion in flight) is not.
 */
function settlingRefusal(topology: Topology): PlanOutcome | undefined {
  const servesSlots = (id: NodeId | undefined) => {
    const n = id ? topology.nodes.find((x) => x.id === id) : undefined;
    return !n || n.role === 'master' || n.slots.length > 0;
  };
  const unsettled = topology.disagreements.find(
    (d) =>
      (d.kind === 'slots' && !onlyOpenSlots(topology, d)) || (d.kind === 'role' && servesSlots(d.nodeId)),
  );
  if (!unsettled) return undefined;
  const views = unsettled.views.map((v) => `${v.observer} says ${v.says}`).join('; ');
  return {
    ok: false,
    code: ErrorCodes.ClusterSettling,
    reason: `the nodes do not agree yet on ${unsettled.subject} (${views}). Redis is probably still spreading a failover by gossip: diagnose again in a few seconds.`,
  };
}

/** No step: replicas may still sync from their master's old address, else say why nothing is planned. */
function nothingToDo(s: RepairState, findings: Finding[]): PlanOutcome {
  // Nothing else to do, but replicas still sync from their master's old address (after a re-MEET by hand).
  const relink = planStaleReplicaLinks(s.topology, findings, s.ctx);
  if (relink) return relink;
  const open = findings.filter((f) => f.severity !== 'info').map((f) => f.summary);
  const reason =
    s.notes.length > 0
      ? s.notes.join(' ')
      : open.length > 0
        ? `No automatic repair for: ${open.join('; ')}`
        : 'The cluster is healthy: nothing to do.';
  const offersDataLoss = s.offersDataLoss;
  return { ok: false, code: ErrorCodes.NothingToDo, reason, ...(offersDataLoss ? { offersDataLoss } : {}) };
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}
