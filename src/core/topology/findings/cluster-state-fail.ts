import type { Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/** Nodes that say `cluster_state:fail`: the cluster refuses queries. */
export const codes = [FindingCodes.ClusterStateFail];

export function find(topology: Topology): Finding[] {
  const saysFail = topology.nodes.filter((n) => n.reachable && n.info?.state === 'fail');
  if (saysFail.length === 0) return [];
  return [
    {
      code: FindingCodes.ClusterStateFail,
      severity: 'critical',
      summary: `${saysFail.length} of ${topology.nodes.filter((n) => n.info).length} nodes say cluster_state:fail: the cluster refuses queries (CLUSTERDOWN)`,
      nodes: saysFail.map((n) => n.id),
      evidence: saysFail.map(
        (n) =>
          `${n.addr} says cluster_state:fail (slots ok ${n.info!.slotsOk}, pfail ${n.info!.slotsPfail}, fail ${n.info!.slotsFail})`,
      ),
    },
  ];
}
