import type { Finding, PodInfo, Probe, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/** Live nodes outside the cluster (a restarted pod alone, a forgotten node, a node without cluster mode). */
export const codes = [FindingCodes.NodeOutsideCluster];

export function find(topology: Topology): Finding[] {
  return topology.outsiders.map((p) => outsiderFinding(p, topology.pods));
}

function outsiderFinding(p: Probe, pods: PodInfo[] | undefined): Finding {
  const pod = p.pod ?? pods?.find((x) => x.ip !== null && `${x.ip}:${x.port}` === p.addr);
  const id = p.myId ?? p.nodes?.find((v) => v.flags.includes('myself'))?.id;
  const podText = pod ? ` (pod ${pod.name})` : '';
  const evidence: string[] = [];
  if (p.clusterEnabled === false) evidence.push(`${p.addr} says cluster_enabled:0`);
  else {
    if (p.info) evidence.push(`${p.addr} says cluster_known_nodes:${p.info.knownNodes}`);
    if (p.info) evidence.push(`${p.addr} says cluster_state:${p.info.state}`);
    if (id) evidence.push(`no member of the cluster lists ${id.slice(0, 8)}`);
  }
  if (pod) evidence.push(`pod ${pod.name} has IP ${pod.ip}`);
  return {
    code: FindingCodes.NodeOutsideCluster,
    severity: 'warning',
    summary:
      p.clusterEnabled === false
        ? `${p.addr}${podText} answers but runs without cluster mode`
        : `${p.addr}${podText} is a live node outside the cluster${p.info?.knownNodes === 1 ? ': it knows only itself' : ''}`,
    nodes: id ? [id] : [],
    addrs: [p.addr],
    evidence,
  };
}
