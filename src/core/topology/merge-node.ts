/** Merges the views of every observer into one ClusterNode per member. */
import type { Addr, ClusterNode, NodeFlag, NodeHealth, NodeId, NodeView, PodInfo, Probe } from '../types.ts';
import { type Observer, observerId } from './observers.ts';
import { formatSlotRanges, mergeRanges } from './slots.ts';

const STATE_FLAGS: readonly NodeFlag[] = ['fail', 'fail?', 'handshake', 'noaddr', 'nofailover'];

/** The view most observers share, for a node we could not ask ourselves (ties: the higher config epoch). */
function mostCommonView(views: NodeView[]): NodeView {
  if (views.length === 1) return views[0]!;
  const counts = new Map<string, { n: number; view: NodeView }>();
  for (const view of views) {
    const sig = viewSignature(view);
    const c = counts.get(sig);
    if (c) c.n++;
    else counts.set(sig, { n: 1, view });
  }
  let common = views[0]!;
  let commonN = 0;
  for (const { n, view } of counts.values()) {
    if (n > commonN || (n === commonN && view.configEpoch > common.configEpoch)) {
      common = view;
      commonN = n;
    }
  }
  return common;
}

function viewSignature(v: NodeView): string {
  const role = v.flags.includes('slave') ? `replica:${v.masterId ?? '-'}` : 'master';
  return `${role}|${formatSlotRanges(v.slots)}|${v.configEpoch}|${v.addr ?? ''}`;
}

/** What all observers together say about one node, gathered in one pass over every line of every observer. */
export interface Gathered {
  /** Every observer's line, kept only for nodes we did not reach (their most common view is needed). */
  views: NodeView[] | null;
  failReportedBy: NodeId[];
  pfailReportedBy: NodeId[];
  stateFlags: Set<NodeFlag>;
  anyAddr: Addr | null;
  role: string | undefined;
  epoch: number;
  rolesDiffer: boolean;
  epochsDiffer: boolean;
}

export function gatherViews(group: Observer[], reached: Map<NodeId, Observer>): Map<NodeId, Gathered> {
  const out = new Map<NodeId, Gathered>();
  for (const o of group) {
    for (const view of o.views) {
      let g = out.get(view.id);
      if (!g) {
        g = {
          views: reached.has(view.id) ? null : [],
          failReportedBy: [],
          pfailReportedBy: [],
          stateFlags: new Set(),
          anyAddr: null,
          role: undefined,
          epoch: view.configEpoch,
          rolesDiffer: false,
          epochsDiffer: false,
        };
        out.set(view.id, g);
      }
      g.views?.push(view);
      g.anyAddr ??= view.addr;
      if (view.configEpoch !== g.epoch) g.epochsDiffer = true;
      let slave = false;
      let handshake = false;
      for (const f of view.flags) {
        if (f === 'slave') slave = true;
        if (f === 'myself' || f === 'master' || f === 'slave' || f === 'noflags') continue;
        if (f === 'handshake') handshake = true;
        g.stateFlags.add(f);
        if (o.id === view.id) continue;
        if (f === 'fail') g.failReportedBy.push(o.id);
        else if (f === 'fail?') g.pfailReportedBy.push(o.id);
      }
      if (!handshake) {
        const role = slave ? (view.masterId ?? '?') : '-';
        if (g.role === undefined) g.role = role;
        else if (role !== g.role) g.rolesDiffer = true;
      }
    }
  }
  return out;
}

function answersAs(probe: Probe | undefined, id: NodeId): boolean {
  return probe?.outcome === 'ok' && observerId(probe) === id;
}

export function mergeNode(
  id: NodeId,
  seen: Gathered,
  own: Observer | undefined,
  probeByAddr: Map<Addr, Probe>,
  podByAddr: Map<Addr, PodInfo>,
): ClusterNode {
  const ownView = own?.byId.get(id);
  const { failReportedBy, pfailReportedBy, stateFlags, anyAddr } = seen;
  // gatherViews kept every line of the nodes we did not reach, and the own line of those we did.
  const chosen = ownView ?? mostCommonView(seen.views!);

  let addr: Addr | null = chosen.addr;
  // Its own line may still carry an old IP (a pod back at a new one without cluster-announce-ip): where it answers wins.
  if (ownView && own && (!ownView.addr || !answersAs(probeByAddr.get(ownView.addr), id)))
    addr = own.probe.addr;
  if (!addr) addr = anyAddr;

  const role: ClusterNode['role'] = chosen.flags.includes('slave') ? 'replica' : 'master';
  const flags: NodeFlag[] = [
    role === 'replica' ? 'slave' : 'master',
    ...STATE_FLAGS.filter((f) => stateFlags.has(f)),
  ];
  if (!chosen.flags.includes('slave') && !chosen.flags.includes('master')) flags.shift();

  const probe = own?.probe ?? (addr ? probeByAddr.get(addr) : undefined);
  // Our probe failed, or the address now answers as another node (an IP taken over by a new pod).
  const probeFailed = probe !== undefined && (probe.outcome !== 'ok' || (observerId(probe) ?? id) !== id);
  // It answered as itself, even if its CLUSTER NODES could not be read.
  const answered = own?.probe ?? (probe && !probeFailed && probe.outcome === 'ok' ? probe : undefined);
  const reachable = answered !== undefined;

  let health: NodeHealth = 'ok';
  if (failReportedBy.length > 0) health = 'fail';
  else if (pfailReportedBy.length > 0) health = 'pfail';
  // A handshake entry has a temporary id: any node answering at its address answers as another id.
  else if (stateFlags.has('handshake')) health = 'handshake';
  else if (!reachable && probeFailed) health = 'unreachable';
  else if (stateFlags.has('noaddr')) health = 'noaddr';

  const node: ClusterNode = {
    id,
    addr,
    role,
    masterId: role === 'replica' ? chosen.masterId : null,
    slots: mergeRanges(chosen.slots),
    migrating: ownView?.migrating ?? [],
    importing: ownView?.importing ?? [],
    configEpoch: chosen.configEpoch,
    flags,
    health,
    reachable,
    failReportedBy,
    pfailReportedBy,
  };
  if (answered) {
    const p = answered;
    if (p.info) node.info = p.info;
    if (p.replication) node.replication = p.replication;
    if (p.persistence) node.persistence = p.persistence;
    if (p.keys !== undefined) node.keys = p.keys;
    if (p.server) node.server = p.server;
  }
  const pod =
    probe?.pod ??
    (addr ? podByAddr.get(addr) : undefined) ??
    (own ? podByAddr.get(own.probe.addr) : undefined);
  if (pod) node.pod = pod;
  return node;
}
