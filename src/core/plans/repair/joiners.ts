/** Phase 5: every other new node and every empty member master joins as a replica. */
import type { ClusterNode, NodeId } from '../../types.ts';
import { chooseMaster } from '../choose-master.ts';
import { answers } from '../cluster-view.ts';
import { describeNode, meetStep, replicateStep } from '../plan.ts';
import { outsiderLabel, type RepairState } from './state.ts';

/** A node to bring in as a replica. */
interface Joiner {
  addr: string;
  id: string;
  label: string;
  k8sNode: string | null;
  needsMeet: boolean;
}

export function joinAsReplicas(s: RepairState): void {
  for (const j of joiners(s)) {
    const choice = chooseMaster([...s.projected.values()], j.k8sNode);
    if (!choice) {
      s.notes.push(`${j.label} could join as a replica, but no master serves slots.`);
      continue;
    }
    const master = s.projected.get(choice.id)!;
    master.replicas++;
    const masterNode = s.nodes.find((n) => n.id === choice.id) ?? pseudoNode(choice.id, master.addr);
    if (j.needsMeet) s.steps.meets.push(meetStep(s.topology, j.addr, j.label));
    const step = replicateStep(j.addr, masterNode, j.label);
    step.sentence = `${step.sentence.replace(/\.$/, '')} (chosen because ${choice.reason}).`;
    s.steps.replicates.push(step);
    s.titles.push(`join ${j.addr} as replica of ${master.addr ?? choice.id.slice(0, 8)}`);
  }
}

/** Unused new nodes, then empty live masters nobody follows; notes the outsiders holding keys. */
function joiners(s: RepairState): Joiner[] {
  const { topology, nodes } = s;
  const out: Joiner[] = [];
  for (const o of s.outsiders) {
    if (s.usedOutsiders.has(o.addr)) continue;
    out.push({
      addr: o.addr,
      id: o.myId!,
      label: outsiderLabel(o),
      k8sNode: o.pod?.nodeName ?? null,
      needsMeet: true,
    });
  }
  for (const o of topology.outsiders) {
    if (o.outcome === 'ok' && o.clusterEnabled !== false && (o.keys ?? 0) > 0) {
      s.notes.push(
        `${o.addr} is outside the cluster but holds ${o.keys} keys: not joining it automatically.`,
      );
    }
  }
  for (const n of nodes) {
    if (n.role !== 'master' || n.slots.length > 0 || !n.addr || !answers(topology, n) || n.health !== 'ok')
      continue;
    if ((n.keys ?? 0) > 0) continue;
    if (nodes.some((r) => r.masterId === n.id)) continue;
    if (s.projected.has(n.id)) continue;
    out.push({
      addr: n.addr,
      id: n.id,
      label: describeNode(n),
      k8sNode: n.pod?.nodeName ?? null,
      needsMeet: false,
    });
  }
  return out;
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
