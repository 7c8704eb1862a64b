/**
 * A master and every replica of it gone for good (issue 14, part 4). Bringing it back with its data is
 * always the first advice; only on `diagnose --accept-data-loss` does the planner give its slots, empty,
 * to a live node (then forget the dead everywhere). Pure.
 */
import type { ClusterNode, NodeId, Step, Topology } from '../types.ts';
import { answers } from './cluster-view.ts';
import { assignSlotsStep, describeNode, formatRanges, slotCount } from './plan.ts';

/** The command that offers the data-loss plan. */
export const ACCEPT_DATA_LOSS_COMMAND = '/redis diagnose --accept-data-loss';

/**
 * Who takes the slots: an empty live member master (a spare already in the cluster), else the live,
 * healthy master serving the fewest slots. `taken` are nodes the plan already gives slots to.
 */
export function lostShardTarget(topology: Topology, taken: ReadonlySet<NodeId>): ClusterNode | undefined {
  const live = topology.nodes.filter(
    (n) => n.role === 'master' && n.addr && n.health === 'ok' && answers(topology, n),
  );
  const spare = live
    .filter(
      (n) =>
        n.slots.length === 0 &&
        (n.keys ?? 0) === 0 &&
        !taken.has(n.id) &&
        !topology.nodes.some((r) => r.masterId === n.id),
    )
    .sort((a, b) => String(a.addr).localeCompare(String(b.addr)))[0];
  if (spare) return spare;
  return live
    .filter((n) => n.slots.length > 0)
    .sort(
      (a, b) => slotCount(a.slots) - slotCount(b.slots) || String(a.addr).localeCompare(String(b.addr)),
    )[0];
}

/** The assign step of the data-loss plan: the slots of `dead` to `target`, their keys lost. */
export function lostShardAssign(dead: ClusterNode, deadReplicas: ClusterNode[], target: ClusterNode): Step {
  const step = assignSlotsStep(target.addr ?? '', target.id, dead.slots, describeNode(target));
  const gone =
    deadReplicas.length > 0
      ? ` and its replica(s) ${deadReplicas.map((r) => describeNode(r)).join(', ')}, all lost for good,`
      : ', lost for good,';
  step.sentence = `Give slots ${formatRanges(dead.slots)} (${slotCount(dead.slots)} slots) of ${describeNode(dead)}${gone} to ${describeNode(target)}: they are served again, empty; the keys they held are lost.`;
  // The dry run as the assign step sends it: live nodes still see the dead owner on these slots.
  const ranges = formatRanges(dead.slots);
  const addr = target.addr ?? '';
  step.commands = [
    `${addr} CLUSTER SETSLOT <slot> NODE ${target.id} (each slot of ${ranges} it still sees on ${dead.id.slice(0, 8)}, 200 at a time)`,
    `${addr} CLUSTER ADDSLOTSRANGE ${dead.slots.map((r) => `${r.start} ${r.end}`).join(' ')} (only slots it already sees unassigned)`,
    `${addr} CLUSTER BUMPEPOCH`,
  ];
  return step;
}

/** "No plan" for a dead shard: bring it back first; how to get the data-loss plan, or why there is none. */
export function lostShardNote(
  dead: ClusterNode,
  deadReplicas: ClusterNode[],
  target: ClusterNode | undefined,
): string {
  const who =
    deadReplicas.length === 0
      ? 'has no replica'
      : `and its replica(s) ${deadReplicas.map((r) => describeNode(r)).join(', ')} are all down (no replica of it answers)`;
  const first = `${describeNode(dead)} serves slots ${formatRanges(dead.slots)} ${who}: bring it back with its data (restart its pod on the same volume); no plan can serve those slots without losing them.`;
  if (!target) return `${first} No live master could take its slots either.`;
  return `${first} If it is gone for good (its data volume is lost), \`${ACCEPT_DATA_LOSS_COMMAND}\` proposes a separate plan that gives its slots, empty, to ${describeNode(target)} and forgets the dead node(s): the keys of those slots are lost, and it needs two approvers.`;
}
