/**
 * Sandbox-only `/redis chaos …`: breaks the local cluster the way the field write-ups describe, then says
 * what it did and what Redis will do next. Every action works on real redis-server processes.
 *
 * The sandbox plays Kubernetes' part with a plain list of "pod" addresses (`SandboxPods`): the cluster
 * definition's seeds. A restarted pod's new address is added to it, a dead one removed, so the bot finds
 * a fresh node the way it would find a new pod.
 */

import type { ChaosHandler } from '../app/chat/service.ts';
import type { ChatMessage } from '../app/chat-port.ts';
import { CodedError } from '../core/errors.ts';
import { parseClusterNodes } from '../core/topology/parse-cluster-nodes.ts';
import { formatSlotRanges } from '../core/topology/slots.ts';
import type { NodeView } from '../core/types.ts';
import type { LocalCluster, LocalNode } from './local-cluster.ts';

/** The addresses the bot may discover besides gossip: the sandbox's stand-in for the pod list. */
export interface SandboxPods {
  /** Live, shared array (the cluster definition's seeds): mutated in place. */
  readonly addrs: string[];
  add(addr: string): void;
  remove(addr: string): void;
}

export function createSandboxPods(addrs: string[]): SandboxPods {
  return {
    addrs,
    add(addr) {
      if (!addrs.includes(addr)) addrs.push(addr);
    },
    remove(addr) {
      const i = addrs.indexOf(addr);
      // Keep at least one seed: the bot needs somewhere to start.
      if (i >= 0 && addrs.length > 1) addrs.splice(i, 1);
    },
  };
}

export interface ChaosDeps {
  cluster: LocalCluster;
  pods: SandboxPods;
  nodeTimeoutMs: number;
  /** Called with every process id started, so the sandbox can account for them at exit. */
  onProcess?: (node: LocalNode) => void;
}

/** What one chaos action did, in lines of mrkdwn. */
export interface ChaosReport {
  did: string[];
  next: string[];
}

export interface Chaos {
  handler: ChaosHandler;
  run(action: string, node?: string): Promise<ChaosReport>;
  /** Restart a killed node with its nodes.conf kept (as `docker restart` did in write-up 002). */
  revive(ref?: string): Promise<ChaosReport>;
  /** Nodes killed so far and not revived (most recent last). */
  killed(): LocalNode[];
  /** How many chaos actions have succeeded so far (the console shows status after each one). */
  succeeded(): number;
}

const short = (id: string) => id.slice(0, 8);

/** Promotion after a master dies: ~1.4 × node timeout to agree it failed, then the election (~1 s). */
function promotionSeconds(nodeTimeoutMs: number): number {
  return Math.round((nodeTimeoutMs * 1.4 + 1000) / 1000);
}

export function createChaos(deps: ChaosDeps): Chaos {
  const { cluster, pods, nodeTimeoutMs } = deps;
  const killedNodes: LocalNode[] = [];
  const promoteIn = promotionSeconds(nodeTimeoutMs);
  const timeoutText = `cluster-node-timeout ${nodeTimeoutMs} ms`;

  const running = () => cluster.all().filter((n) => n.state === 'running');

  /** The cluster as the live members see it (first one that answers with more than itself). */
  const view = async (): Promise<NodeView[]> => {
    for (const n of running()) {
      try {
        const parsed = parseClusterNodes(await cluster.cli(n, 'CLUSTER', 'NODES'));
        if (parsed.ok && parsed.value.length > 1) return parsed.value;
      } catch {
        // try the next one
      }
    }
    throw new CodedError('CHAOS_FAILED', 'no live cluster member answered CLUSTER NODES');
  };

  const isDown = (v: NodeView) => v.flags.includes('fail') || v.flags.includes('fail?');
  const liveMasters = (nodes: NodeView[]) =>
    nodes.filter((v) => v.flags.includes('master') && v.slots.length > 0 && !isDown(v));
  const replicasOf = (nodes: NodeView[], id: string) =>
    nodes.filter((v) => v.masterId === id && !isDown(v) && v.flags.includes('slave'));
  const local = (v: NodeView): LocalNode => {
    const n = running().find((x) => x.addr === v.addr || x.id === v.id);
    if (!n)
      throw new CodedError('CHAOS_FAILED', `node ${v.addr ?? v.id} is not one of the sandbox's processes`);
    return n;
  };

  /**
   * A master that has a live replica whose link is up (so Redis can promote it). Asked for a few seconds:
   * right after a heal a replica may still be syncing, and on a busy machine a node can be slow to answer.
   */
  const pickMasterWithReplica = async (): Promise<{
    master: NodeView;
    replica: NodeView;
    nodes: NodeView[];
  }> => {
    const deadline = Date.now() + 6000;
    for (;;) {
      const nodes = await view();
      for (const m of liveMasters(nodes)) {
        for (const r of replicasOf(nodes, m.id)) {
          try {
            const info = await cluster.cli(local(r), 'INFO', 'replication');
            if (/master_link_status:up/.test(info)) return { master: m, replica: r, nodes };
          } catch {
            // not this one
          }
        }
      }
      if (Date.now() > deadline)
        throw new CodedError(
          'CHAOS_FAILED',
          'no master has a live, synced replica right now: heal the cluster first (diagnose), or try chaos orphan',
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const kill = async (n: LocalNode) => {
    await cluster.kill(n);
    killedNodes.push(n);
    pods.remove(n.addr);
  };

  const describe = (v: NodeView) =>
    `${v.addr} (id ${short(v.id)}…${v.slots.length ? `, slots ${formatSlotRanges(v.slots)}` : ''})`;

  const resolveRef = async (ref: string): Promise<LocalNode> => {
    const all = cluster.all().filter((n) => n.state !== 'killed');
    const byAddr = all.find((n) => n.addr === ref || String(n.port) === ref);
    if (byAddr) return byAddr;
    const byId = all.filter((n) => n.id && ref.length >= 6 && n.id.startsWith(ref.toLowerCase()));
    if (byId.length === 1) return byId[0]!;
    throw new CodedError(
      'CHAOS_FAILED',
      `no sandbox node "${ref}": use host:port, a port, an id prefix (6+), or "master" / "replica": ${all.map((n) => n.addr).join(', ')}`,
    );
  };

  const actions: Record<string, (ref?: string) => Promise<ChaosReport>> = {
    /** 002 part 2: a master dies, its replica wins the election. */
    async 'kill-master'() {
      const { master, replica } = await pickMasterWithReplica();
      const node = local(master);
      await kill(node);
      return {
        did: [`Killed master ${describe(master)} with SIGKILL (pid ${node.pid}).`],
        next: [
          `Its replica ${replica.addr} (id ${short(replica.id)}…) should be promoted in ~${promoteIn} s (${timeoutText}): the others flag the master \`fail?\`, then \`fail\`, and vote.`,
          `The dead master stays in CLUSTER NODES as \`master,fail\` until it is forgotten, and its new master has no replica.`,
        ],
      };
    },

    /** 000 / 004: a master's pod restarts with a new IP and a new id, alone in a cluster of one. */
    async 'replace-pod'() {
      const { master, replica } = await pickMasterWithReplica();
      const node = local(master);
      await kill(node);
      const fresh = await cluster.startFreshNode();
      deps.onProcess?.(fresh);
      pods.add(fresh.addr);
      return {
        did: [
          `Killed master ${describe(master)} (pid ${node.pid}) and started a fresh node in its place, as a restarted pod without its nodes.conf: ${fresh.addr}, new id ${short(fresh.id)}…, pid ${fresh.pid}, \`cluster_known_nodes:1\`.`,
          `The "pod list" now has ${fresh.addr} instead of ${master.addr}.`,
        ],
        next: [
          `Replica ${replica.addr} should be promoted in ~${promoteIn} s (${timeoutText}).`,
          `Nothing in Redis will bring ${fresh.addr} into the cluster, and the old id stays listed as failed: the repair is to forget ${short(master.id)}… on every node (within 60 s), meet ${fresh.addr}, and make it the replica of the orphaned master. Try \`diagnose\` once the promotion is done.`,
        ],
      };
    },

    /** A hung process: keeps its sockets, answers nothing. */
    async freeze(ref) {
      let node: LocalNode;
      if (ref === 'replica') {
        const { replica } = await pickMasterWithReplica();
        node = local(replica);
      } else if (ref && ref !== 'master') node = await resolveRef(ref);
      else {
        const { master } = await pickMasterWithReplica();
        node = local(master);
      }
      if (node.state === 'frozen') return { did: [`${node.addr} is already frozen.`], next: [] };
      const nodes = await view().catch(() => [] as NodeView[]);
      const v = nodes.find((x) => x.addr === node.addr);
      cluster.freeze(node);
      const isMaster = v?.flags.includes('master') && (v?.slots.length ?? 0) > 0;
      const rep = v && isMaster ? replicasOf(nodes, v.id)[0] : undefined;
      return {
        did: [
          `Froze ${v ? describe(v) : node.addr} with SIGSTOP (pid ${node.pid}): it keeps its sockets but answers nothing.`,
        ],
        next: [
          `After ${nodeTimeoutMs} ms the others flag it \`fail?\`, then \`fail\`.`,
          ...(rep
            ? [
                `Its replica ${rep.addr} should be promoted in ~${promoteIn} s; once thawed, ${node.addr} rejoins as a replica.`,
              ]
            : []),
          '`chaos thaw` lets it go. A scan never waits on it for longer than the scan timeout.',
        ],
      };
    },

    async thaw(ref) {
      const frozen = ref ? [await resolveRef(ref)] : cluster.all().filter((n) => n.state === 'frozen');
      if (frozen.length === 0) return { did: ['No node is frozen.'], next: [] };
      for (const n of frozen) cluster.thaw(n);
      return {
        did: [`Thawed ${frozen.map((n) => n.addr).join(', ')} (SIGCONT).`],
        next: [
          'It answers again at once; the others clear its failure flag at the next ping. A master that lost its slots meanwhile becomes a replica of its successor.',
        ],
      };
    },

    /** 001: most masters lost at once: no majority left to elect a replica. */
    async 'kill-majority'() {
      const nodes = await view();
      const masters = liveMasters(nodes);
      const total = nodes.filter((v) => v.flags.includes('master') && v.slots.length > 0).length;
      const n = Math.floor(total / 2) + 1;
      if (masters.length < n)
        throw new CodedError(
          'CHAOS_FAILED',
          `only ${masters.length} of ${total} masters are alive: nothing left to lose`,
        );
      const victims = masters.slice(0, n);
      const orphanReplicas = victims.flatMap((m) => replicasOf(nodes, m.id));
      for (const v of victims) await kill(local(v));
      for (const s of cluster.spares.filter((x) => x.state === 'running')) pods.add(s.addr);
      return {
        did: [
          `Killed ${n} of ${total} masters: ${victims.map(describe).join(', ')}.`,
          `The spare nodes ${cluster.spares.map((s) => s.addr).join(', ')} are now in the "pod list", ready to be brought in (as in write-up 001).`,
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
    async orphan() {
      const nodes = await view();
      const masters = liveMasters(nodes);
      const target = masters.find((m) => replicasOf(nodes, m.id).length <= 1);
      if (!target) throw new CodedError('CHAOS_FAILED', 'no live master to orphan');
      const moved = replicasOf(nodes, target.id);
      const other = masters.find((m) => m.id !== target.id);
      if (moved.length > 0 && !other)
        throw new CodedError('CHAOS_FAILED', 'need a second live master to take the replica over');
      for (const r of moved) {
        await cluster.cli(local(r), 'CLUSTER', 'REPLICATE', other!.id);
        await cluster.waitFor(
          async () => (await cluster.cli(local(r), 'ROLE')).split('\n')[2] === String(other!.port),
          5000,
          `${r.addr} to follow ${other!.addr}`,
        );
      }
      const node = local(target);
      await kill(node);
      return {
        did: [
          ...(moved.length
            ? [
                `Moved replica ${moved.map((r) => r.addr).join(', ')} to master ${other!.addr} (CLUSTER REPLICATE), leaving ${target.addr} without a replica.`,
              ]
            : []),
          `Killed master ${describe(target)} (pid ${node.pid}).`,
        ],
        next: [
          `Nobody can take over: in ~${Math.round((nodeTimeoutMs * 1.4) / 1000)} s the cluster flags it \`fail\` and answers \`CLUSTERDOWN\` for slots ${formatSlotRanges(target.slots)}.`,
          `The owner has to come back: \`revive\` restarts it with its nodes.conf (the write-up's \`docker restart\`), and the cluster recovers on its own. Assigning its slots elsewhere loses their keys.`,
        ],
      };
    },
  };

  let okCount = 0;
  const run = async (action: string, ref?: string): Promise<ChaosReport> => {
    const f = actions[action];
    if (!f)
      throw new CodedError(
        'CHAOS_FAILED',
        `unknown chaos action "${action}": ${Object.keys(actions).join(', ')}`,
      );
    const r = await f(ref);
    okCount += 1;
    return r;
  };

  const revive = async (ref?: string): Promise<ChaosReport> => {
    const node = ref
      ? killedNodes.find(
          (n) => n.addr === ref || String(n.port) === ref || (ref.length >= 6 && n.id.startsWith(ref)),
        )
      : killedNodes[killedNodes.length - 1];
    if (!node) {
      const list = killedNodes.map((n) => n.addr).join(', ');
      throw new CodedError(
        'CHAOS_FAILED',
        list ? `no killed node "${ref}": killed are ${list}` : 'no node has been killed',
      );
    }
    await cluster.restartNode(node);
    deps.onProcess?.(node);
    killedNodes.splice(killedNodes.indexOf(node), 1);
    pods.add(node.addr);
    return {
      did: [
        `Restarted ${node.addr} with its nodes.conf (same id ${short(node.id)}…, pid ${node.pid}); its keys come back from its AOF.`,
      ],
      next: [
        'It rejoins with its old id: if its slots were never taken over it serves them again and the cluster recovers; if a replica was promoted meanwhile it becomes that replica’s replica.',
      ],
    };
  };

  return {
    run,
    revive,
    killed: () => [...killedNodes],
    succeeded: () => okCount,
    handler: async (req) => {
      const r = await run(req.action, req.node);
      return chaosMessage(`chaos ${req.action}${req.node ? ` ${req.node}` : ''}`, r);
    },
  };
}

/** A chaos report as a chat message. */
export function chaosMessage(title: string, r: ChaosReport): ChatMessage {
  return {
    text: `${title}: ${r.did.join(' ')}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:boom: *${title}*\n${r.did.join('\n')}` } },
      ...(r.next.length
        ? [
            {
              type: 'section' as const,
              text: { type: 'mrkdwn' as const, text: `*What Redis does next*\n${r.next.join('\n')}` },
            },
          ]
        : []),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'sandbox chaos · real redis-server processes' }],
      },
    ],
  };
}
