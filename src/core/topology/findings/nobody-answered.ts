import type { Finding, Topology } from '../../types.ts';
import { authFailedFinding } from './auth-failed.ts';
import { FindingCodes } from './codes.ts';

/** What stands in for every other finding when no address answered. */
export const codes = [FindingCodes.ClusterUnreachable, FindingCodes.AuthFailed];

/**
 * Nobody answered: say that, not "16384 slots have no owner", which would be a guess about a cluster we never
 * saw. Undefined when some address answered.
 */
export function nobodyAnswered(topology: Topology): Finding | undefined {
  if (topology.probes.length === 0 || topology.probes.some((p) => p.outcome === 'ok')) return undefined;
  // They answer, but not to us: that is a credentials problem, not a network one.
  const refused = topology.probes.filter((p) => p.authFailed);
  if (refused.length > 0) return authFailedFinding(topology, refused, true);
  const n = topology.probes.length;
  return {
    code: FindingCodes.ClusterUnreachable,
    severity: 'critical',
    summary: `no node answered (${n} address${n === 1 ? '' : 'es'} asked): the cluster's state is unknown${n === 1 && !topology.pods ? '. Only one seed is known: list several nodes in REDIS_CLUSTER_NODES (or seeds in CLUSTERS_FILE), so one dead node does not hide the cluster' : ''}`,
    nodes: [],
    addrs: topology.probes.map((p) => p.addr),
    evidence: topology.probes.map((p) => `${p.addr}: ${p.outcome}${p.error ? ` (${p.error})` : ''}`),
  };
}
