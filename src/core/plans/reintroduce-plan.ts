/**
 * The plan for nodes back at new IPs with their ids and data (issue 14, part 1): re-introduce each at its
 * new address with CLUSTER MEET (Redis updates a known id's address in place), wait until every node
 * agrees on every address, then make sure every replica's link is up. No FORGET, RESET or FLUSH. Pure.
 */
import { ErrorCodes } from '../errors.ts';
import { describeMoves, emptyMastersWithData, type MovedNode } from '../topology/moved-nodes.ts';
import type { Addr, ClusterNode, Finding, NodeMove, PlanOutcome, Step, Topology } from '../types.ts';
import { answers } from './cluster-view.ts';
import { assemblePlan, type PlanContext, shortId, splitAddr } from './plan.ts';

/** Above this many MEETs, the dry run says "each of the N live nodes" once per address instead of listing them. */
const MAX_LISTED_COMMANDS = 200;

/** Every live member at the address it will have once the moved nodes are met: the MEET senders. */
function senders(topology: Topology, moves: NodeMove[]): Addr[] {
  const to = new Map(moves.map((m) => [m.id, m.to]));
  return topology.nodes
    .filter((n) => n.addr && answers(topology, n))
    .map((n) => to.get(n.id) ?? n.addr!)
    .sort();
}

export function reintroduceStep(topology: Topology, moved: NodeMove[]): Step {
  const moves = moved.map(({ id, from, to, label }) => ({ id, from, to, label }));
  const from = senders(topology, moves);
  const commands: string[] = [];
  // Every command while the list stays readable; past that, one line per new address (a plan is stored and shown).
  const full = from.length * moves.length <= MAX_LISTED_COMMANDS;
  for (const m of moves) {
    const { host, port } = splitAddr(m.to);
    if (!full)
      commands.push(`each of the ${from.length} live nodes but ${m.to}: CLUSTER MEET ${host} ${port}`);
    else for (const a of from) if (a !== m.to) commands.push(`${a} CLUSTER MEET ${host} ${port}`);
  }
  const k = moves.length;
  return {
    kind: 'reintroduce',
    moves,
    risk: 'low',
    sentence: `Re-introduce ${k} node${k === 1 ? '' : 's'} at ${k === 1 ? 'its' : 'their'} new address${k === 1 ? '' : 'es'} (${describeMoves(moves)}): every live node sends CLUSTER MEET at once; the ids match, so Redis updates each address in place (no FORGET, no RESET, no data moved). Then wait until every node lists every other at its current address.`,
    commands,
  };
}

/** Every live replica must end with its link up: CLUSTER REPLICATE <master> again where it stays down. */
export function replicaLinksStep(topology: Topology, moves: NodeMove[]): Step | undefined {
  const to = new Map(moves.map((m) => [m.id, m.to]));
  const replicas = topology.nodes
    .filter((n) => n.role === 'replica' && n.masterId && n.addr && answers(topology, n))
    .map((n) => ({ id: n.id, addr: to.get(n.id) ?? n.addr!, masterId: n.masterId! }));
  if (replicas.length === 0) return undefined;
  return {
    kind: 'replica-links',
    replicas,
    risk: 'low',
    sentence: `Check the replication link of every replica (${replicas.length}); send CLUSTER REPLICATE <its master> again to any whose link stays down. While the nodes reconnect Redis may fail a shard over to its replica (only a replica that has synced with it can win): the check follows the roles as they are then, and says so.`,
    commands: replicas.map(
      (r) => `${r.addr} CLUSTER REPLICATE ${r.masterId} (only if its link is still down after the MEETs)`,
    ),
  };
}

/** The re-introduction plan, or a refusal when a master came back empty while its replica holds the data. */
export function planReintroduction(
  topology: Topology,
  moved: MovedNode[],
  findings: Finding[],
  ctx: PlanContext,
): PlanOutcome {
  const emptied = emptyMastersWithData(topology, moved);
  if (emptied.length > 0) {
    const what = emptied
      .map(
        ({ master, replica }) =>
          `master ${master.label} (${shortId(master.id)}) came back at ${master.to} with 0 keys while its replica ${replica.addr} (${shortId(replica.id)}) holds ${replica.keys}`,
      )
      .join('; ');
    return {
      ok: false,
      code: ErrorCodes.EmptyMasterAtNewAddress,
      reason: `No plan: ${what}. Re-introducing them would make the replica copy the empty master. Promote the replica first (/redis failover <replica> takeover), then diagnose again.`,
    };
  }
  const steps: Step[] = [reintroduceStep(topology, moved)];
  const links = replicaLinksStep(topology, moved);
  if (links) steps.push(links);
  const k = moved.length;
  const title = `Re-introduce ${k} node${k === 1 ? '' : 's'} restarted at new IPs (ids and data kept)`;
  return { ok: true, plan: assemblePlan(topology, ctx, title, steps, findings) };
}

/** A replica's link down for this long while it still points at an address its master no longer has: stale. */
export const STALE_LINK_SECONDS = 10;

/**
 * Replicas whose link is down because they still sync from their master's old address (the master answers,
 * healthy, elsewhere): what a re-MEET by hand leaves behind when a replica learnt the new address by gossip.
 */
export function staleReplicaLinks(topology: Topology): ClusterNode[] {
  return topology.nodes.filter((r) => {
    const repl = r.replication;
    if (r.role !== 'replica' || !r.masterId || !answers(topology, r) || repl?.masterLinkStatus !== 'down')
      return false;
    if (
      (repl.masterLinkDownSinceSeconds ?? -1) < STALE_LINK_SECONDS &&
      repl.masterLinkDownSinceSeconds !== -1
    )
      return false;
    const master = topology.nodes.find((m) => m.id === r.masterId);
    if (!master?.addr || master.health !== 'ok' || !answers(topology, master)) return false;
    return `${repl.masterHost}:${repl.masterPort}` !== master.addr;
  });
}

/** The replica-links step alone, for replicas left pointing at their master's old address; undefined if none. */
export function planStaleReplicaLinks(
  topology: Topology,
  findings: Finding[],
  ctx: PlanContext,
): PlanOutcome | undefined {
  const stale = staleReplicaLinks(topology);
  if (stale.length === 0) return undefined;
  const step = replicaLinksStep(topology, []);
  if (!step) return undefined;
  const k = stale.length;
  const title = `Re-point ${k} replica${k === 1 ? '' : 's'} at ${k === 1 ? 'its' : 'their'} master's new address (${stale.map((r) => `${r.addr} still syncs from ${r.replication!.masterHost}:${r.replication!.masterPort}`).join('; ')})`;
  return { ok: true, plan: assemblePlan(topology, ctx, title, [step], findings) };
}
