import type { TopologySource } from '../../core/ports.ts';
import type { ClusterNode, Probe, Topology } from '../../core/types.ts';
import { withDeadline } from '../../deadline.ts';

/** `p` bounded by `ms`; past it, an error naming `what`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(p, ms, () => new Error(`${what} took longer than ${ms} ms`));
}

/**
 * One watch scan of a cluster, cut at about 3× the per-node bound; throws, saying why, when no node answered.
 * An unchanged cluster returns the previous scan's very object (TopologySource's reuseUnchanged).
 */
export async function watchScan(
  cluster: { name: string; source: TopologySource },
  scanTimeoutMs: number,
): Promise<Topology> {
  const topology = await within(
    cluster.source.scan({ timeoutMs: scanTimeoutMs, reuseUnchanged: true }),
    scanTimeoutMs * 3 + 250,
    `reading cluster ${cluster.name}`,
  );
  if (!topology.probes.some((p) => p.outcome === 'ok')) {
    if (topology.probes.some((p) => p.authFailed))
      throw new Error(
        `authentication failed: the nodes refused our credentials (${topology.probes.map((p) => `${p.addr}: ${p.authFailed ? 'authentication failed' : p.outcome}`).join(', ')})`,
      );
    throw new Error(
      `no node answered (${topology.probes.map((p) => `${p.addr}: ${p.outcome}`).join(', ') || 'no address to ask'})`,
    );
  }
  return topology;
}

/** What the diff needs of a topology (the stored copy stays small on big clusters). */
export function trim(t: Topology): Topology {
  return {
    cluster: t.cluster,
    mode: t.mode,
    takenAt: t.takenAt,
    probes: [],
    nodes: t.nodes.map(({ info: _i, replication: _r, persistence: _p, pod: _pod, ...n }): ClusterNode => n),
    outsiders: t.outsiders.map(
      (o): Probe => ({
        addr: o.addr,
        source: o.source,
        outcome: o.outcome,
        ms: o.ms,
        ...(o.myId ? { myId: o.myId } : {}),
        ...(o.pod ? { pod: o.pod } : {}),
      }),
    ),
    disagreements: [],
    fingerprint: t.fingerprint,
  };
}
