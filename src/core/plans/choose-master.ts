/**
 * Which master a new replica should follow: orphaned masters first, then the fewest replicas, and never a
 * master on the same Kubernetes node as the new replica when another choice exists.
 */
import type { ClusterNode, NodeId, Topology } from '../types.ts';

/** A master as it will be once the plan's earlier steps ran. */
export interface MasterSlot {
  id: NodeId;
  addr: string | null;
  /** Healthy replicas it has (or will have once earlier steps ran). */
  replicas: number;
  /** Kubernetes node of the master, when known. */
  k8sNode: string | null;
}

export interface MasterChoice {
  id: NodeId;
  reason: string;
}

/** A healthy replica: reachable, not failed, link up when we know it. */
export function isHealthyReplica(n: ClusterNode): boolean {
  if (n.role !== 'replica' || !n.reachable) return false;
  if (n.health !== 'ok') return false;
  return n.replication?.masterLinkStatus !== 'down';
}

/** Live masters serving slots, with their count of healthy replicas. */
export function servingMasters(topology: Topology): MasterSlot[] {
  return topology.nodes
    .filter((n) => n.role === 'master' && n.slots.length > 0 && n.reachable && n.health === 'ok')
    .map((m) => ({
      id: m.id,
      addr: m.addr,
      replicas: topology.nodes.filter((r) => r.masterId === m.id && isHealthyReplica(r)).length,
      k8sNode: m.pod?.nodeName ?? null,
    }));
}

/**
 * Picks the master for a new replica placed on Kubernetes node `k8sNode` (null: unknown).
 * Returns undefined when there is no master to choose.
 */
export function chooseMaster(masters: MasterSlot[], k8sNode: string | null): MasterChoice | undefined {
  if (masters.length === 0) return undefined;
  const apart = k8sNode ? masters.filter((m) => m.k8sNode !== k8sNode) : masters;
  const pool = apart.length > 0 ? apart : masters;
  const sorted = [...pool].sort(
    (a, b) =>
      a.replicas - b.replicas || String(a.addr).localeCompare(String(b.addr)) || a.id.localeCompare(b.id),
  );
  const best = sorted[0]!;
  const why: string[] = [];
  why.push(best.replicas === 0 ? 'it has no replica' : `it has the fewest replicas (${best.replicas})`);
  if (k8sNode && apart.length > 0 && apart.length < masters.length)
    why.push(`it is not on Kubernetes node ${k8sNode}`);
  if (k8sNode && apart.length === 0) why.push(`every master is on Kubernetes node ${k8sNode}`);
  return { id: best.id, reason: why.join('; ') };
}
