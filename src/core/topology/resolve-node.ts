import type { Addr, ClusterNode, NodeId, PodInfo, Probe, Topology } from '../types.ts';

/** What a `<node>` reference named: a cluster member, a live node outside the cluster, or a pod that is neither. */
export type NodeMatch =
  | { kind: 'member'; id: NodeId; addr: Addr | null; node: ClusterNode; pod?: PodInfo }
  | { kind: 'outsider'; id: NodeId | null; addr: Addr; probe: Probe; pod?: PodInfo }
  | { kind: 'pod'; id: null; addr: Addr | null; pod: PodInfo };

export type ResolveResult =
  | { ok: true; match: NodeMatch }
  | { ok: false; reason: string; suggestions: string[] };

/** Shortest unique id prefix a person may type. */
export const MIN_ID_PREFIX = 6;

/**
 * Resolves what a person typed as `<node>`: a node id, a unique id prefix of 6+ characters, `host:port`,
 * a bare host when only one node lives there, or a pod name. Members and outsiders both count.
 * On failure, says why and suggests the closest names.
 */
export function resolveNodeRef(topology: Topology, ref: string): ResolveResult {
  const text = ref.trim();
  if (text === '') return { ok: false, reason: 'no node given', suggestions: [] };
  const lower = text.toLowerCase();
  const candidates = collect(topology);

  const byId = candidates.filter((c) => c.id === lower);
  if (byId.length > 0) return { ok: true, match: byId[0]!.match };

  const byAddr = candidates.filter((c) => c.addr === text);
  if (byAddr.length > 0) return { ok: true, match: preferLive(byAddr).match };

  const byPod = candidates.filter((c) => c.podName === text);
  if (byPod.length > 0) return { ok: true, match: preferLive(byPod).match };

  if (/^[0-9a-f]+$/.test(lower)) {
    const byPrefix = uniqueBy(
      candidates.filter((c) => c.id?.startsWith(lower)),
      (c) => c.id!,
    );
    if (byPrefix.length === 1) {
      if (lower.length < MIN_ID_PREFIX) {
        return {
          ok: false,
          reason: `"${text}" is too short: give at least ${MIN_ID_PREFIX} characters of the node id`,
          suggestions: [byPrefix[0]!.id!.slice(0, 12)],
        };
      }
      return { ok: true, match: byPrefix[0]!.match };
    }
    if (byPrefix.length > 1) {
      return {
        ok: false,
        reason: `"${text}" matches ${byPrefix.length} node ids: give more characters`,
        suggestions: byPrefix
          .slice(0, 5)
          .map((c) => `${c.id!.slice(0, Math.max(12, lower.length + 2))} (${c.addr ?? 'noaddr'})`),
      };
    }
  }

  if (!text.includes(':')) {
    const byHost = uniqueBy(
      candidates.filter((c) => c.addr?.slice(0, c.addr.lastIndexOf(':')) === text),
      (c) => c.addr!,
    );
    if (byHost.length === 1) return { ok: true, match: byHost[0]!.match };
    if (byHost.length > 1) {
      return {
        ok: false,
        reason: `${byHost.length} nodes live on ${text}: say which port`,
        suggestions: byHost.map((c) => c.addr!),
      };
    }
  }

  return {
    ok: false,
    reason: `no node, address or pod "${text}" in cluster ${topology.cluster}`,
    suggestions: suggest(text, candidates),
  };
}

interface Candidate {
  id: NodeId | null;
  addr: Addr | null;
  podName?: string;
  live: boolean;
  match: NodeMatch;
}

function collect(topology: Topology): Candidate[] {
  const out: Candidate[] = [];
  const podByAddr = new Map<Addr, PodInfo>();
  for (const pod of topology.pods ?? []) if (pod.ip) podByAddr.set(`${pod.ip}:${pod.port}`, pod);
  const claimedPods = new Set<string>();

  for (const node of topology.nodes) {
    const pod = node.pod ?? (node.addr ? podByAddr.get(node.addr) : undefined);
    const match: NodeMatch = { kind: 'member', id: node.id, addr: node.addr, node, ...(pod ? { pod } : {}) };
    const c: Candidate = { id: node.id, addr: node.addr, live: node.health !== 'fail', match };
    if (pod) {
      c.podName = pod.name;
      claimedPods.add(pod.name);
    }
    out.push(c);
  }
  for (const probe of topology.outsiders) {
    const id = probe.myId ?? probe.nodes?.find((v) => v.flags.includes('myself'))?.id ?? null;
    const pod = probe.pod ?? podByAddr.get(probe.addr);
    const match: NodeMatch = { kind: 'outsider', id, addr: probe.addr, probe, ...(pod ? { pod } : {}) };
    const c: Candidate = { id, addr: probe.addr, live: true, match };
    if (pod) {
      c.podName = pod.name;
      claimedPods.add(pod.name);
    }
    out.push(c);
  }
  for (const pod of topology.pods ?? []) {
    if (claimedPods.has(pod.name)) continue;
    const addr = pod.ip ? `${pod.ip}:${pod.port}` : null;
    out.push({ id: null, addr, podName: pod.name, live: false, match: { kind: 'pod', id: null, addr, pod } });
  }
  return out;
}

/** A failed member and a live node may share an address (a pod's IP handed on): the live one is meant. */
function preferLive(cands: Candidate[]): Candidate {
  return cands.find((c) => c.live && c.match.kind !== 'pod') ?? cands.find((c) => c.live) ?? cands[0]!;
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Up to 3 names closest to what was typed (ids compared on the typed length). */
function suggest(text: string, candidates: Candidate[]): string[] {
  const lower = text.toLowerCase();
  const scored: { name: string; d: number }[] = [];
  for (const c of candidates) {
    if (c.addr) scored.push({ name: c.addr, d: editDistance(text, c.addr) });
    if (c.podName) scored.push({ name: c.podName, d: editDistance(text, c.podName) });
    if (c.id) {
      const n = Math.max(lower.length, MIN_ID_PREFIX);
      scored.push({ name: c.id.slice(0, Math.max(12, n)), d: editDistance(lower, c.id.slice(0, n)) });
    }
  }
  const limit = Math.max(2, Math.ceil(text.length / 3));
  return uniqueBy(
    scored.filter((s) => s.d <= limit).sort((a, b) => a.d - b.d || a.name.localeCompare(b.name)),
    (s) => s.name,
  )
    .slice(0, 3)
    .map((s) => s.name);
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
