/**
 * "Known node id, new address": pods restarted with their volume (nodes.conf, id and data kept) that came
 * back at new IPs, while the other nodes still list them at the old ones. Pure.
 */
import type { Addr, ClusterNode, Finding, NodeId, NodeMove, NodeView, Probe, Topology } from '../types.ts';

/** A live node that some other live node lists at an address where it no longer answers. */
export interface MovedNode extends NodeMove {
  role: ClusterNode['role'];
  /** Addresses of the live nodes that list it at a stale address. */
  staleIn: Addr[];
  /** Its pod, when Kubernetes lists one at the new address. */
  pod?: string;
  keys?: number;
}

function observerId(p: Probe): NodeId | undefined {
  return p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
}

/** Literal IPv4 / IPv6 host: what CLUSTER MEET accepts (a DNS name is refused on 7.0). */
function isIpHost(addr: Addr): boolean {
  const host = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/**
 * Members that answer us as themselves at one address while another live member lists them at another
 * address that does not answer as them: nothing there (and the observer's link to it is down or it flags it
 * fail / fail?), or another node since. Handshake entries (a MEET in flight) are not listings. Sorted by
 * pod name / address.
 */
export function findMovedNodes(topology: Topology): MovedNode[] {
  if (topology.mode !== 'cluster') return [];
  const members = new Map<NodeId, ClusterNode>();
  for (const n of topology.nodes) members.set(n.id, n);
  const answeredAs = new Map<Addr, NodeId>();
  const liveAt = new Map<NodeId, Addr[]>();
  for (const p of topology.probes) {
    const id = p.outcome === 'ok' && p.clusterEnabled !== false ? observerId(p) : undefined;
    if (!id || answeredAs.has(p.addr)) continue;
    answeredAs.set(p.addr, id);
    liveAt.set(id, [...(liveAt.get(id) ?? []), p.addr]);
  }
  // Each member's own listing, indexed by id once: the scan is O(lines), also on clusters of a thousand nodes.
  const observers = new Map<NodeId, { addr: Addr; byId: Map<NodeId, NodeView> }>();
  for (const p of topology.probes) {
    const id = p.outcome === 'ok' && p.nodes ? observerId(p) : undefined;
    if (!id || !members.has(id) || observers.has(id)) continue;
    observers.set(id, { addr: p.addr, byId: new Map(p.nodes!.map((v) => [v.id, v])) });
  }

  const out: MovedNode[] = [];
  for (const n of topology.nodes) {
    const live = liveAt.get(n.id);
    if (!live) continue;
    const staleIn: Addr[] = [];
    const staleAddrs = new Map<Addr, number>();
    for (const [obsId, o] of observers) {
      if (obsId === n.id) continue;
      const v = o.byId.get(n.id);
      if (!v?.addr || v.flags.includes('handshake') || v.flags.includes('myself')) continue;
      if (live.includes(v.addr) || answeredAs.get(v.addr) === n.id) continue;
      // An address we merely failed to probe (a timeout under load, a DNS alias) is not stale while the
      // observer still talks to it; an old IP now answering as another node is stale in any case.
      const lost = v.link === 'disconnected' || v.flags.some((f) => f === 'fail' || f === 'fail?');
      if (!lost && answeredAs.get(v.addr) === undefined) continue;
      staleIn.push(o.addr);
      staleAddrs.set(v.addr, (staleAddrs.get(v.addr) ?? 0) + 1);
    }
    if (staleIn.length === 0) continue;
    const to = n.addr && live.includes(n.addr) ? n.addr : (live.find(isIpHost) ?? live[0]!);
    const from = [...staleAddrs].sort((a, b) => b[1] - a[1])[0]![0];
    const pod = n.pod?.name ?? topology.pods?.find((x) => x.ip && to.startsWith(`${x.ip}:`))?.name;
    out.push({
      id: n.id,
      from,
      to,
      label: pod ?? n.id.slice(0, 8),
      role: n.role,
      staleIn: staleIn.sort(),
      ...(pod ? { pod } : {}),
      ...(n.keys !== undefined ? { keys: n.keys } : {}),
    });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
}

function hostOf(addr: Addr): string {
  return addr.slice(0, addr.lastIndexOf(':'));
}

/** `redis-cluster-0 was 10.0.3.7, is now 10.0.5.21` (ports too when they differ). */
export function describeMove(m: NodeMove): string {
  const samePort = m.from.slice(m.from.lastIndexOf(':')) === m.to.slice(m.to.lastIndexOf(':'));
  const [from, to] = samePort ? [hostOf(m.from), hostOf(m.to)] : [m.from, m.to];
  return `${m.label} was ${from}, is now ${to}`;
}

/** How many moves a finding names one by one. */
const MAX_LISTED = 12;

/** `a was X, is now Y; …` for the first MAX_LISTED moves, then how many more (`note` adds to each). */
export function describeMoves<M extends NodeMove>(moves: M[], note: (m: M) => string = () => ''): string {
  const named = moves.slice(0, MAX_LISTED).map((m) => `${describeMove(m)}${note(m)}`);
  return `${named.join('; ')}${moves.length > MAX_LISTED ? `; and ${moves.length - MAX_LISTED} more` : ''}`;
}

/** The finding for nodes back at new addresses, named plainly with every old and new address. */
export function movedNodesFinding(moved: MovedNode[], topology: Topology): Finding {
  const live = topology.nodes.filter((n) => n.reachable).length;
  // Nobody lists anybody where it is: every live node moved, and every other live node has it wrong.
  const all = moved.length >= live && moved.every((m) => m.staleIn.length >= live - 1);
  const k = moved.length;
  const nodes = `${k} node${k === 1 ? '' : 's'}`;
  const head = all
    ? `${nodes} restarted at new IPs and cannot find each other.`
    : `${nodes} restarted at new IP${k === 1 ? '' : 's'} that other nodes still list at the old address${k === 1 ? '' : 'es'}.`;
  const keys = moved.reduce((sum, m) => sum + (m.role === 'master' ? (m.keys ?? 0) : 0), 0);
  const emptied = emptyMastersWithData(topology, moved);
  const intact =
    emptied.length === 0
      ? `Their ids and data are intact (${keys} keys on the masters among them).`
      : `Their ids are intact, but ${emptied.map((e) => `master ${e.master.label} came back with 0 keys while its replica ${e.replica.addr} holds ${e.replica.keys}`).join('; ')}.`;
  // A chat message has room for a few thousand characters: the first moves by name, then the count.
  const listed = describeMoves(moved, (m) => (all ? '' : ` (${m.staleIn.length} still list the old one)`));
  const fail = topology.nodes.some((n) => n.reachable && n.info?.state === 'fail');
  return {
    code: 'node-new-address',
    severity: fail ? 'critical' : 'warning',
    summary: `${head} ${intact} ${listed}.`,
    nodes: moved.map((m) => m.id),
    addrs: moved.map((m) => m.to),
    evidence: moved.flatMap((m) => [
      `${m.to} answers as ${m.id.slice(0, 8)}`,
      `${m.staleIn.length} node${m.staleIn.length === 1 ? '' : 's'} (${m.staleIn.slice(0, 3).join(', ')}${m.staleIn.length > 3 ? ', …' : ''}) list ${m.id.slice(0, 8)} at ${m.from}, where it does not answer`,
    ]),
  };
}

/**
 * Moved masters that came back empty (no persistence on their volume) while a replica still holds keys:
 * reconnecting them would make that replica copy the empty master (design.md, write-up 004 part 2).
 */
export function emptyMastersWithData(
  topology: Topology,
  moved: MovedNode[],
): { master: MovedNode; replica: ClusterNode }[] {
  const out: { master: MovedNode; replica: ClusterNode }[] = [];
  for (const m of moved) {
    if (m.role !== 'master' || m.keys !== 0) continue;
    const replica = topology.nodes.find(
      (r) => r.role === 'replica' && r.masterId === m.id && r.reachable && (r.keys ?? 0) > 0,
    );
    if (replica) out.push({ master: m, replica });
  }
  return out;
}
