/** The chaos actions, each breaking the local cluster the way a field write-up describes. */
import { CodedError, ErrorCodes } from '../core/errors.ts';
import { formatSlotRanges } from '../core/topology/slots.ts';
import type { NodeView } from '../core/types.ts';
import {
  type ChaosContext,
  type ChaosReport,
  describeNode,
  kill,
  liveMasters,
  local,
  pickMasterWithReplica,
  replicasOf,
  resolveRef,
  short,
  view,
} from './chaos-context.ts';
import type { LocalNode } from './local-cluster.ts';

export const CHAOS_ACTIONS: Record<string, (c: ChaosContext, ref?: string) => Promise<ChaosReport>> = {
  /** 002 part 2: a master dies, its replica wins the election. */
  async 'kill-master'(c) {
    const { master, replica } = await pickMasterWithReplica(c);
    const node = local(c, master);
    await kill(c, node);
    return {
      did: [`Killed master ${describeNode(master)} with SIGKILL (pid ${node.pid}).`],
      next: [
        `Its replica ${replica.addr} (id ${short(replica.id)}…) should be promoted in ~${c.promoteIn} s (${c.timeoutText}): the others flag the master \`fail?\`, then \`fail\`, and vote.`,
        `The dead master stays in CLUSTER NODES as \`master,fail\` until it is forgotten, and its new master has no replica.`,
      ],
    };
  },

  /** 000 / 004: a master's pod restarts with a new IP and a new id, alone in a cluster of one. */
  async 'replace-pod'(c) {
    const { master, replica } = await pickMasterWithReplica(c);
    const node = local(c, master);
    await kill(c, node);
    const fresh = await c.cluster.startFreshNode();
    c.onProcess?.(fresh);
    c.pods.add(fresh.addr);
    return {
      did: [
        `Killed master ${describeNode(master)} (pid ${node.pid}) and started a fresh node in its place, as a restarted pod without its nodes.conf: ${fresh.addr}, new id ${short(fresh.id)}…, pid ${fresh.pid}, \`cluster_known_nodes:1\`.`,
        `The "pod list" now has ${fresh.addr} instead of ${master.addr}.`,
      ],
      next: [
        `Replica ${replica.addr} should be promoted in ~${c.promoteIn} s (${c.timeoutText}).`,
        `Nothing in Redis will bring ${fresh.addr} into the cluster, and the old id stays listed as failed: the repair is to forget ${short(master.id)}… on every node (within 60 s), meet ${fresh.addr}, and make it the replica of the orphaned master. Try \`diagnose\` once the promotion is done.`,
      ],
    };
  },

  /** A hung process: keeps its sockets, answers nothing. */
  async freeze(c, ref) {
    let node: LocalNode;
    if (ref === 'replica') {
      const { replica } = await pickMasterWithReplica(c);
      node = local(c, replica);
    } else if (ref && ref !== 'master') node = await resolveRef(c, ref);
    else {
      const { master } = await pickMasterWithReplica(c);
      node = local(c, master);
    }
    if (node.state === 'frozen') return { did: [`${node.addr} is already frozen.`], next: [] };
    const nodes = await view(c).catch(() => [] as NodeView[]);
    const v = nodes.find((x) => x.addr === node.addr);
    c.cluster.freeze(node);
    const isMaster = v?.flags.includes('master') && (v?.slots.length ?? 0) > 0;
    const rep = v && isMaster ? replicasOf(nodes, v.id)[0] : undefined;
    return {
      did: [
        `Froze ${v ? describeNode(v) : node.addr} with SIGSTOP (pid ${node.pid}): it keeps its sockets but answers nothing.`,
      ],
      next: [
        `After ${c.nodeTimeoutMs} ms the others flag it \`fail?\`, then \`fail\`.`,
        ...(rep
          ? [
              `Its replica ${rep.addr} should be promoted in ~${c.promoteIn} s; once thawed, ${node.addr} rejoins as a replica.`,
            ]
          : []),
        '`chaos thaw` lets it go. A scan never waits on it for longer than the scan timeout.',
      ],
    };
  },

  async thaw(c, ref) {
    const frozen = ref ? [await resolveRef(c, ref)] : c.cluster.all().filter((n) => n.state === 'frozen');
    if (frozen.length === 0) return { did: ['No node is frozen.'], next: [] };
    for (const n of frozen) c.cluster.thaw(n);
    return {
      did: [`Thawed ${frozen.map((n) => n.addr).join(', ')} (SIGCONT).`],
      next: [
        'It answers again at once; the others clear its failure flag at the next ping. A master that lost its slots meanwhile becomes a replica of its successor.',
      ],
    };
  },

  /** 001: most masters lost at once: no majority left to elect a replica. */
  async 'kill-majority'(c) {
    const nodes = await view(c);
    const masters = liveMasters(nodes);
    const total = nodes.filter((v) => v.flags.includes('master') && v.slots.length > 0).length;
    const n = Math.floor(total / 2) + 1;
    if (masters.length < n)
      throw new CodedError(
        ErrorCodes.ChaosFailed,
        `only ${masters.length} of ${total} masters are alive: nothing left to lose`,
      );
    const victims = masters.slice(0, n);
    const orphanReplicas = victims.flatMap((m) => replicasOf(nodes, m.id));
    for (const v of victims) await kill(c, local(c, v));
    for (const s of c.cluster.spares.filter((x) => x.state === 'running')) c.pods.add(s.addr);
    return {
      did: [
        `Killed ${n} of ${total} masters: ${victims.map(describeNode).join(', ')}.`,
        `The spare nodes ${c.cluster.spares.map((s) => s.addr).join(', ')} are now in the "pod list", ready to be brought in (as in write-up 001).`,
      ],
      next: [
        `No promotion will happen: a replica needs the votes of a majority of masters (${n} of ${total}) and only ${total - n} is left. Slots stay uncovered, \`cluster_state:fail\`.`,
        `The way out is \`CLUSTER FAILOVER TAKEOVER\` on ${orphanReplicas.map((r) => r.addr).join(', ') || 'the surviving replicas'} (no vote needed; two approvers), forget the dead, and add the spares as replicas.`,
      ],
    };
  },

  /**
   * 002 part 1: a master with no replica dies. The sandbox's masters all have one, so first its replica
   * is moved to another master (CLUSTER REPLICATE), as a lopsided layout would have it; then the master is
   * killed at once, before Redis's replica migration (5 s after a master is orphaned) could move one back.
   */
  async orphan(c) {
    const nodes = await view(c);
    const masters = liveMasters(nodes);
    const target = masters.find((m) => replicasOf(nodes, m.id).length <= 1);
    if (!target) throw new CodedError(ErrorCodes.ChaosFailed, 'no live master to orphan');
    const moved = replicasOf(nodes, target.id);
    const other = masters.find((m) => m.id !== target.id);
    if (moved.length > 0 && !other)
      throw new CodedError(ErrorCodes.ChaosFailed, 'need a second live master to take the replica over');
    for (const r of moved) {
      await c.cluster.cli(local(c, r), 'CLUSTER', 'REPLICATE', other!.id);
      await c.cluster.waitFor(
        async () => (await c.cluster.cli(local(c, r), 'ROLE')).split('\n')[2] === String(other!.port),
        5000,
        `${r.addr} to follow ${other!.addr}`,
      );
    }
    const node = local(c, target);
    await kill(c, node);
    return {
      did: [
        ...(moved.length
          ? [
              `Moved replica ${moved.map((r) => r.addr).join(', ')} to master ${other!.addr} (CLUSTER REPLICATE), leaving ${target.addr} without a replica.`,
            ]
          : []),
        `Killed master ${describeNode(target)} (pid ${node.pid}).`,
      ],
      next: [
        `Nobody can take over: in ~${Math.round((c.nodeTimeoutMs * 1.4) / 1000)} s the cluster flags it \`fail\` and answers \`CLUSTERDOWN\` for slots ${formatSlotRanges(target.slots)}.`,
        `The owner has to come back: \`revive\` restarts it with its nodes.conf (the write-up's \`docker restart\`), and the cluster recovers on its own. Assigning its slots elsewhere loses their keys.`,
      ],
    };
  },
};
