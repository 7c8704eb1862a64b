import type { Addr, ClusterNode, Finding, PodInfo, Probe, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/** Kubernetes pods whose Redis is not a member, and pods not ready (in that order per pod). */
export const codes = [FindingCodes.PodNotInCluster, FindingCodes.PodNotReady];

/** What a pod's address answered, and which member the cluster expects there. */
interface PodSeen {
  pod: PodInfo;
  addr: Addr;
  member: ClusterNode | undefined;
  probe: Probe | undefined;
  answeredAs: string | undefined;
}

export function find(topology: Topology): Finding[] {
  if (!topology.pods) return [];
  const memberByAddr = new Map<Addr, ClusterNode>();
  for (const n of topology.nodes) if (n.addr) memberByAddr.set(n.addr, n);
  const probeByAddr = new Map<Addr, Probe>();
  for (const p of topology.probes) if (p.outcome === 'ok') probeByAddr.set(p.addr, p);
  const outsiderAddrs = new Set(topology.outsiders.map((p) => p.addr));
  const out: Finding[] = [];
  for (const pod of topology.pods) {
    if (pod.ip === null) {
      out.push({
        code: FindingCodes.PodNotInCluster,
        severity: 'info',
        summary: `pod ${pod.name} has no IP yet (phase ${pod.phase})`,
        nodes: [],
        evidence: [`pod ${pod.name}: phase ${pod.phase}, ready ${pod.ready}`],
      });
      continue;
    }
    const addr = `${pod.ip}:${pod.port}`;
    const probe = probeByAddr.get(addr);
    const answeredAs = probe?.myId ?? probe?.nodes?.find((v) => v.flags.includes('myself'))?.id;
    const seen: PodSeen = { pod, addr, member: memberByAddr.get(addr), probe, answeredAs };
    const outside = notInClusterFinding(seen, outsiderAddrs);
    if (outside) out.push(outside);
    if (!pod.ready && pod.phase === 'Running') out.push(notReadyFinding(seen));
  }
  return out;
}

function notInClusterFinding(
  { pod, addr, member, probe, answeredAs }: PodSeen,
  outsiderAddrs: Set<Addr>,
): Finding | undefined {
  const inCluster = member !== undefined && (answeredAs === undefined || answeredAs === member.id);
  if (inCluster) return undefined;
  return {
    code: FindingCodes.PodNotInCluster,
    severity: 'warning',
    summary: `pod ${pod.name} (${addr}) is not part of the cluster${outsiderAddrs.has(addr) ? ': its Redis answers alone' : probe ? '' : ': its Redis did not answer'}`,
    nodes: answeredAs ? [answeredAs] : [],
    addrs: [addr],
    evidence: [
      `no member of the cluster has address ${addr}`,
      ...(member && answeredAs && answeredAs !== member.id
        ? [`the cluster expects ${member.id.slice(0, 8)} there, ${addr} answers as ${answeredAs.slice(0, 8)}`]
        : []),
    ],
  };
}

function notReadyFinding({ pod, addr, member, probe, answeredAs }: PodSeen): Finding {
  const info = member?.info ?? probe?.info;
  const evidence = [`pod ${pod.name}: ready false${pod.notReadyReason ? ` (${pod.notReadyReason})` : ''}`];
  let why = pod.notReadyReason ?? 'readiness probe failing';
  if (info?.state === 'fail') {
    why = `its readiness check needs cluster_state:ok and ${addr} says cluster_state:fail${info.knownNodes === 1 ? ' (it knows only itself)' : ''}`;
    evidence.push(`${addr} says cluster_state:fail`, `${addr} says cluster_known_nodes:${info.knownNodes}`);
  }
  return {
    code: FindingCodes.PodNotReady,
    severity: 'warning',
    summary: `pod ${pod.name} is not ready: ${why}`,
    nodes: member ? [member.id] : answeredAs ? [answeredAs] : [],
    addrs: [addr],
    evidence,
  };
}
