/**
 * Not fighting an operator (issue 19, part 5): pods that belong to a known Redis operator — their
 * StatefulSet is owned by a `RedisCluster`, `RedisFailover` or `DistributedRedisCluster`, or they carry an
 * operator's labels. An operator reconciles towards its own picture and can undo a plan mid-way, so the
 * plan's first line says so, with how to pause it. Pure.
 */
import type { PodInfo, Topology } from './types.ts';

export interface OperatorNote {
  /** `RedisCluster shop (redis.redis.opstreelabs.in)` or the operator the labels name. */
  name: string;
  /** How it was spotted, for the person reading. */
  evidence: string;
  /** The command(s) to pause it. */
  pause: string;
}

/** Custom resources of Redis operators that own StatefulSets. */
const OWNER_KINDS = new Set(['RedisCluster', 'RedisFailover', 'DistributedRedisCluster']);

/** Pod labels Redis operators set: label key (and value pattern) → operator. */
const OPERATOR_LABELS: { key: string; value?: RegExp; operator: string }[] = [
  {
    key: 'redisfailovers.databases.spotahome.com/name',
    operator: 'Spotahome redis-operator (RedisFailover)',
  },
  { key: 'redis_setup_type', operator: 'OT-Container-Kit redis-operator' },
  { key: 'redis.kun/name', operator: 'ucloud redis-cluster-operator (DistributedRedisCluster)' },
  { key: 'redis-operator.k8s.io/cluster-name', operator: 'IBM operator-for-redis-cluster' },
  {
    key: 'app.kubernetes.io/managed-by',
    value: /redis.*operator|operator.*redis/i,
    operator: 'a Redis operator',
  },
];

/** Scale the operator's Deployment to 0 for the plan, back to 1 after: the one pause every operator honours. */
const PAUSE =
  '`kubectl get deployments -A | grep -i operator`, then `kubectl -n <namespace> scale deployment/<operator> --replicas=0`; scale it back to 1 once the plan has finished';

function fromOwner(pod: PodInfo): OperatorNote | undefined {
  const chain = pod.owners ?? [];
  const cr = chain.find((o) => OWNER_KINDS.has(o.kind));
  if (!cr) return undefined;
  const sts = chain.find((o) => o.kind === 'StatefulSet');
  const group = cr.apiVersion?.split('/')[0];
  return {
    name: `${cr.kind} ${cr.name}${group && group !== cr.apiVersion ? ` (${group})` : ''}`,
    evidence: `StatefulSet ${sts?.name ?? '?'} of pod ${pod.name} is owned by ${cr.kind} ${cr.name}`,
    pause: PAUSE,
  };
}

function fromLabels(pod: PodInfo): OperatorNote | undefined {
  for (const l of OPERATOR_LABELS) {
    const v = pod.labels?.[l.key];
    if (v === undefined || (l.value && !l.value.test(v))) continue;
    return { name: l.operator, evidence: `pod ${pod.name} has the label ${l.key}=${v}`, pause: PAUSE };
  }
  return undefined;
}

/** The operator these pods belong to, if any: an owning custom resource first, then labels. */
export function detectOperator(pods: PodInfo[] | undefined): OperatorNote | undefined {
  for (const p of pods ?? []) {
    const o = fromOwner(p);
    if (o) return o;
  }
  for (const p of pods ?? []) {
    const o = fromLabels(p);
    if (o) return o;
  }
  return undefined;
}

/** The plan's first line when an operator manages the pods (plain text; the renderer adds emphasis). */
export function operatorLine(o: OperatorNote): string {
  return `These pods belong to ${o.name}: it can undo this plan mid-way. Pause it before approving: ${o.pause}. (${o.evidence})`;
}

/** For assemblePlan: `{ operator }` when the topology's pods belong to an operator. */
export function operatorOf(topology: Topology): { operator?: OperatorNote } {
  const o = detectOperator(topology.pods);
  return o ? { operator: o } : {};
}
