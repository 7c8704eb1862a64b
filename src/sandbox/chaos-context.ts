/** What every chaos action works with: the local cluster, the "pod list", and the cluster as its members see it. */
import { CodedError, ErrorCodes } from '../core/errors.ts';
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

/** What one chaos action did, in lines of mrkdwn. */
export interface ChaosReport {
  did: string[];
  next: string[];
}

export interface ChaosContext {
  cluster: LocalCluster;
  pods: SandboxPods;
  nodeTimeoutMs: number;
  /** Seconds a promotion takes after a master dies (see promotionSeconds). */
  promoteIn: number;
  timeoutText: string;
  /** Nodes killed so far and not revived (most recent last). */
  killedNodes: LocalNode[];
  onProcess?: (node: LocalNode) => void;
}

export const short = (id: string) => id.slice(0, 8);

/** Promotion after a master dies: ~1.4 × node timeout to agree it failed, then the election (~1 s). */
export function promotionSeconds(nodeTimeoutMs: number): number {
  return Math.round((nodeTimeoutMs * 1.4 + 1000) / 1000);
}

const running = (c: ChaosContext) => c.cluster.all().filter((n) => n.state === 'running');

/** The cluster as the live members see it (first one that answers with more than itself). */
export async function view(c: ChaosContext): Promise<NodeView[]> {
  for (const n of running(c)) {
    try {
      const parsed = parseClusterNodes(await c.cluster.cli(n, 'CLUSTER', 'NODES'));
      if (parsed.ok && parsed.value.length > 1) return parsed.value;
    } catch {
      // try the next one
    }
  }
  throw new CodedError(ErrorCodes.ChaosFailed, 'no live cluster member answered CLUSTER NODES');
}

const isDown = (v: NodeView) => v.flags.includes('fail') || v.flags.includes('fail?');

export const liveMasters = (nodes: NodeView[]) =>
  nodes.filter((v) => v.flags.includes('master') && v.slots.length > 0 && !isDown(v));

export const replicasOf = (nodes: NodeView[], id: string) =>
  nodes.filter((v) => v.masterId === id && !isDown(v) && v.flags.includes('slave'));

/** The sandbox process behind a node of the view. */
export function local(c: ChaosContext, v: NodeView): LocalNode {
  const n = running(c).find((x) => x.addr === v.addr || x.id === v.id);
  if (!n)
    throw new CodedError(
      ErrorCodes.ChaosFailed,
      `node ${v.addr ?? v.id} is not one of the sandbox's processes`,
    );
  return n;
}

/**
 * A master that has a live replica whose link is up (so Redis can promote it). Asked for a few seconds:
 * right after a heal a replica may still be syncing, and on a busy machine a node can be slow to answer.
 */
export async function pickMasterWithReplica(
  c: ChaosContext,
): Promise<{ master: NodeView; replica: NodeView; nodes: NodeView[] }> {
  const deadline = Date.now() + 6000;
  for (;;) {
    const nodes = await view(c);
    for (const m of liveMasters(nodes)) {
      for (const r of replicasOf(nodes, m.id)) {
        try {
          const info = await c.cluster.cli(local(c, r), 'INFO', 'replication');
          if (/master_link_status:up/.test(info)) return { master: m, replica: r, nodes };
        } catch {
          // not this one
        }
      }
    }
    if (Date.now() > deadline)
      throw new CodedError(
        ErrorCodes.ChaosFailed,
        'no master has a live, synced replica right now: heal the cluster first (diagnose), or try chaos orphan',
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Kills a node and takes it off the "pod list". */
export async function kill(c: ChaosContext, n: LocalNode): Promise<void> {
  await c.cluster.kill(n);
  c.killedNodes.push(n);
  c.pods.remove(n.addr);
}

export const describeNode = (v: NodeView) =>
  `${v.addr} (id ${short(v.id)}…${v.slots.length ? `, slots ${formatSlotRanges(v.slots)}` : ''})`;

/** A node named by the person: host:port, a port, or an id prefix of 6+ characters. */
export async function resolveRef(c: ChaosContext, ref: string): Promise<LocalNode> {
  const all = c.cluster.all().filter((n) => n.state !== 'killed');
  const byAddr = all.find((n) => n.addr === ref || String(n.port) === ref);
  if (byAddr) return byAddr;
  const byId = all.filter((n) => n.id && ref.length >= 6 && n.id.startsWith(ref.toLowerCase()));
  if (byId.length === 1) return byId[0]!;
  throw new CodedError(
    ErrorCodes.ChaosFailed,
    `no sandbox node "${ref}": use host:port, a port, an id prefix (6+), or "master" / "replica": ${all.map((n) => n.addr).join(', ')}`,
  );
}
