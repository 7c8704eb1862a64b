/** Phase 1: serve every slot of a down master again: promote its best replica, else give its slots to a new node. */

import { replicaNeverSynced } from '../../topology/analyze.ts';
import type { ClusterNode, Probe, Topology } from '../../types.ts';
import { isHealthyReplica } from '../choose-master.ts';
import { answers, isDown, replicationOffset, slotMasters } from '../cluster-view.ts';
import { lostShardAssign, lostShardNote, lostShardTarget } from '../lost-shard.ts';
import { assignSlotsStep, describeNode, failoverStep, formatRanges, meetStep } from '../plan.ts';
import { outsiderLabel, project, type RepairState } from './state.ts';

/** The best replica to promote: the highest replication offset, then the lowest address. */
export function bestReplica(candidates: ClusterNode[]): ClusterNode | undefined {
  return [...candidates].sort(
    (a, b) => replicationOffset(b) - replicationOffset(a) || String(a.addr).localeCompare(String(b.addr)),
  )[0];
}

export function serveDownMasters(s: RepairState): void {
  const { topology, majorityLost } = s;
  for (const dead of slotMasters(topology)) {
    if (!isDown(topology, dead, majorityLost)) {
      if (!answers(topology, dead) && dead.health !== 'ok') {
        s.notes.push(
          `${describeNode(dead)} does not answer but a majority has not flagged it failed yet; Redis may still fail it over by itself: diagnose again in a few seconds.`,
        );
      }
      continue;
    }
    const candidates = s.nodes.filter(
      (r) => r.role === 'replica' && r.masterId === dead.id && answers(topology, r) && r.health !== 'fail',
    );
    if (promoteReplica(s, dead, candidates)) continue;
    // No replica: the data of these slots is gone. A new empty node (the restarted pod) takes them.
    if (!giveToNewNode(s, dead)) giveLostShard(s, dead);
  }
}

/** Fails the dead master over to its best replica; false when it has none. */
function promoteReplica(s: RepairState, dead: ClusterNode, candidates: ClusterNode[]): boolean {
  const best = bestReplica(candidates);
  if (!best) return false;
  const mode = s.majorityLost ? 'takeover' : 'force';
  const step = failoverStep(best, dead, dead.id, mode, true);
  const wipedBy = wipedReplicaSource(s.topology, best);
  if (wipedBy) {
    // The pod came back at the same address, empty: the replica resynced from it (write-up 004, part 2).
    step.risk = 'data-loss';
    step.sentence = `${step.sentence} Its replica already resynced from the new empty node at ${wipedBy} and holds ${best.keys ?? 0} keys: the data of these slots is gone.`;
  } else if (replicaNeverSynced(best.replication) && (best.keys ?? 0) === 0) {
    // Its master died before the first sync (platform facts): FORCE works, but it brings no data.
    step.risk = 'data-loss';
    step.sentence = `${step.sentence} This replica never finished a sync and holds no key: the data of these slots is gone.`;
  }
  s.steps.failovers.push(step);
  s.slotsMovedAway.add(dead.id);
  const others = candidates.filter((r) => r.id !== best.id && isHealthyReplica(r)).length;
  project(s, best.id, best.addr, best.pod?.nodeName, others);
  s.titles.push(
    mode === 'takeover'
      ? `take over ${formatRanges(dead.slots)} on ${best.addr} (majority of masters lost)`
      : `force failover of ${dead.addr ?? dead.id.slice(0, 8)} to ${best.addr}`,
  );
  return true;
}

/** Gives the dead master's slots to a new node (its own pod back empty first); false when there is none. */
function giveToNewNode(s: RepairState, dead: ClusterNode): boolean {
  const free = (o: Probe) => !s.usedOutsiders.has(o.addr);
  const fresh =
    s.outsiders.find((o) => free(o) && (o.addr === dead.addr || samePod(o, dead))) ?? s.outsiders.find(free);
  if (!fresh?.myId) return false;
  s.usedOutsiders.add(fresh.addr);
  s.steps.meets.push(meetStep(s.topology, fresh.addr, outsiderLabel(fresh)));
  s.steps.assigns.push(assignSlotsStep(fresh.addr, fresh.myId, dead.slots, outsiderLabel(fresh)));
  s.slotsMovedAway.add(dead.id);
  project(s, fresh.myId, fresh.addr, fresh.pod?.nodeName);
  s.titles.push(`give the lost slots of ${describeNode(dead)} to ${fresh.addr} (data loss)`);
  return true;
}

/** Bring it back first; giving its slots away empty only when asked (diagnose --accept-data-loss). */
function giveLostShard(s: RepairState, dead: ClusterNode): void {
  const deadReplicas = s.nodes.filter((r) => r.role === 'replica' && r.masterId === dead.id);
  const target = lostShardTarget(s.topology, new Set(s.projected.keys()));
  if (s.ctx.acceptDataLoss && target) {
    s.steps.assigns.push(lostShardAssign(dead, deadReplicas, target));
    s.slotsMovedAway.add(dead.id);
    for (const n of [dead, ...deadReplicas]) s.lostShards.add(n.id);
    if (!s.projected.has(target.id)) project(s, target.id, target.addr, target.pod?.nodeName);
    s.titles.push(
      `give the slots of ${describeNode(dead)}, lost with its replicas, to ${target.addr} (data loss)`,
    );
    return;
  }
  s.notes.push(lostShardNote(dead, deadReplicas, target));
  s.offersDataLoss ||= target !== undefined;
  for (const r of deadReplicas) s.namedInShardNote.add(r.id);
}

/** The address of a new, empty node the replica now syncs from, when it holds no key: its data was wiped. */
function wipedReplicaSource(topology: Topology, replica: ClusterNode): string | undefined {
  const r = replica.replication;
  if (!r?.masterHost || !r.masterPort || (replica.keys ?? 0) > 0) return undefined;
  const addr = `${r.masterHost}:${r.masterPort}`;
  return topology.outsiders.some((o) => o.addr === addr) ? addr : undefined;
}

function samePod(o: Probe, n: ClusterNode): boolean {
  return Boolean(o.pod && n.pod && o.pod.name === n.pod.name);
}
