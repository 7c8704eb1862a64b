/**
 * The plan model: step builders (with their exact commands, the dry run), plan assembly (risk, approvals,
 * id). Pure: no I/O.
 */
import { operatorOf } from '../operators.ts';
import {
  type Addr,
  type ClusterNode,
  type FailoverMode,
  type Finding,
  type NodeId,
  type Plan,
  RISK_ORDER,
  type Risk,
  type SlotRange,
  type Step,
  type Topology,
} from '../types.ts';

/** Who asks, for which cluster, when; how long the plan stays valid. `id` fixes the plan id (tests). */
export interface PlanContext {
  cluster: string;
  requestedBy: string;
  now: number;
  ttlMs: number;
  id?: string;
  /** `diagnose --accept-data-loss`: also plan what drops keys (a master and all its replicas gone for good). */
  acceptDataLoss?: boolean;
}

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `p-` + 10 base36 chars: url-safe, never all digits, no ':' (it is the BullMQ job id). */
export function newPlanId(random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += BASE36[Math.floor(random() * 36) % 36];
  return `p-${s}`;
}

export function highestRisk(risks: Risk[]): Risk {
  let best = 0;
  for (const r of risks) best = Math.max(best, RISK_ORDER.indexOf(r));
  return RISK_ORDER[best] ?? 'low';
}

/** Steps that need two different approvers. */
/** TAKEOVER, slot fixes and anything that can lose data need two different approvers. */
export function needsTwoApprovers(step: Step): boolean {
  return (
    step.kind === 'fix-slots' ||
    (step.kind === 'failover' && step.mode === 'takeover') ||
    step.risk === 'data-loss'
  );
}

export function assemblePlan(
  topology: Topology,
  ctx: PlanContext,
  title: string,
  steps: Step[],
  findings: Pick<Finding, 'code' | 'severity' | 'summary'>[],
): Plan {
  return {
    id: ctx.id ?? newPlanId(),
    cluster: ctx.cluster,
    title,
    fingerprint: topology.fingerprint,
    requestedBy: ctx.requestedBy,
    createdAt: ctx.now,
    expiresAt: ctx.now + ctx.ttlMs,
    risk: highestRisk(steps.map((s) => s.risk)),
    steps: topology.auth ? steps.map((s) => withCredentialLines(s, topology.auth!)) : steps,
    approvalsNeeded: steps.some(needsTwoApprovers) ? 2 : 1,
    findings: findings.map((f) => ({ code: f.code, severity: f.severity, summary: f.summary })),
    ...operatorOf(topology),
  };
}

/** The dry-run line of the keys a `stable` slot fix moves. */
export const MIGRATE_LINE = '(keys of the open slots move with MIGRATE where needed)';

/**
 * On a password-protected cluster the executor also sends credentials (MIGRATE … AUTH, a new replica's
 * masterauth): the dry run shows those commands with `***` where the password goes, never the password
 * (the plan knows only that there is one).
 */
function withCredentialLines(step: Step, auth: NonNullable<Topology['auth']>): Step {
  const secret = auth.username ? `AUTH2 ${auth.username} ***` : 'AUTH ***';
  if (step.kind === 'fix-slots' && step.action === 'stable') {
    return {
      ...step,
      commands: step.commands.map((c) =>
        c === MIGRATE_LINE
          ? `(keys of the open slots move with MIGRATE <host> <port> "" 0 5000 REPLACE ${secret} KEYS … where needed)`
          : c,
      ),
    };
  }
  if (step.kind === 'replicate' || step.kind === 'replicaof') {
    const master = auth.username ? ` masteruser ${auth.username}` : '';
    return {
      ...step,
      commands: [
        `${step.addr} CONFIG SET masterauth ***${master} (only if it has no masterauth: a replica needs it to sync with a password-protected master)`,
        ...step.commands,
      ],
    };
  }
  return step;
}

// ---------------------------------------------------------------------------------------------------
// Naming nodes in sentences

export function shortId(id: NodeId): string {
  return id.slice(0, 8);
}

/** `127.0.0.1:7001 (3c349984)` or `3c349984 (no address)`; the pod name when known. */
export function describeNode(n: Pick<ClusterNode, 'id' | 'addr' | 'pod'> | undefined, id?: NodeId): string {
  if (!n) return id ? shortId(id) : '?';
  const pod = n.pod ? ` pod ${n.pod.name}` : '';
  return n.addr ? `${n.addr} (${shortId(n.id)}${pod})` : `${shortId(n.id)} (no address${pod})`;
}

export function splitAddr(addr: Addr): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

export function formatRanges(ranges: SlotRange[]): string {
  return ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
}

export function slotCount(ranges: SlotRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
}

// ---------------------------------------------------------------------------------------------------
// Step builders

/** Live members that should receive a FORGET of `nodeId`: every reachable member except itself. */
export function forgetTargets(topology: Topology, nodeId: NodeId): Addr[] {
  return topology.nodes
    .filter((n) => n.id !== nodeId && n.reachable && n.addr)
    .map((n) => n.addr!)
    .sort();
}

export function forgetStep(topology: Topology, node: ClusterNode, why = ''): Step {
  const targets = forgetTargets(topology, node.id);
  return {
    kind: 'forget',
    nodeId: node.id,
    risk: 'low',
    sentence: `Forget ${describeNode(node)} on every live node (${targets.length}) at once${why ? `: ${why}` : ''}.`,
    commands: targets.map((a) => `${a} CLUSTER FORGET ${node.id}`),
  };
}

export function meetStep(topology: Topology, addr: Addr, label = addr): Step {
  const { host, port } = splitAddr(addr);
  const from = topology.nodes.filter((n) => n.reachable && n.addr && n.addr !== addr).map((n) => n.addr!);
  return {
    kind: 'meet',
    addr,
    risk: 'low',
    sentence: `Introduce ${label} to the cluster from every live node at once, then wait until every node knows it.`,
    commands: from.sort().map((a) => `${a} CLUSTER MEET ${host} ${port}`),
  };
}

export function replicateStep(addr: Addr, master: ClusterNode, label = addr): Step {
  return {
    kind: 'replicate',
    addr,
    masterId: master.id,
    risk: 'low',
    sentence: `Make ${label} a replica of ${describeNode(master)}, then wait until its replication link is up.`,
    commands: [`${addr} CLUSTER REPLICATE ${master.id}`],
  };
}

const FAILOVER_RISK: Record<FailoverMode, Risk> = { default: 'medium', force: 'medium', takeover: 'high' };

export function failoverStep(
  replica: ClusterNode,
  master: ClusterNode | undefined,
  masterId: NodeId,
  mode: FailoverMode,
  whenMasterDown = false,
): Step {
  const arg = mode === 'default' ? '' : ` ${mode.toUpperCase()}`;
  const what =
    mode === 'default'
      ? 'a planned handover: the master stops writes until the replica has caught up, no write is lost'
      : mode === 'force'
        ? 'without the master (it is down); needs the vote of a majority of masters'
        : 'without any vote: the highest risk, writes can be lost if the old master comes back';
  return {
    kind: 'failover',
    addr: replica.addr ?? '',
    replicaId: replica.id,
    masterId,
    mode,
    ...(whenMasterDown ? { whenMasterDown: true } : {}),
    risk: FAILOVER_RISK[mode],
    sentence: `Promote ${describeNode(replica)} in place of master ${describeNode(master, masterId)}, ${what}.`,
    commands: [`${replica.addr} CLUSTER FAILOVER${arg}`],
  };
}

export function assignSlotsStep(addr: Addr, targetId: NodeId, slots: SlotRange[], label: string): Step {
  return {
    kind: 'fix-slots',
    action: 'assign',
    slots,
    addr,
    targetId,
    risk: 'data-loss',
    sentence: `Give slots ${formatRanges(slots)} (${slotCount(slots)} slots, their keys are lost) to ${label}, empty.`,
    // The epoch first: claimed with epoch 0 the slots would be taken back by the dead owner's UPDATE.
    commands: [
      `${addr} CLUSTER BUMPEPOCH`,
      `${addr} CLUSTER ADDSLOTSRANGE ${slots.map((r) => `${r.start} ${r.end}`).join(' ')}`,
    ],
  };
}

export function restartPodStep(pod: string, namespace: string, what: string): Step {
  return {
    kind: 'restart-pod',
    pod,
    namespace,
    risk: 'medium',
    sentence: `Restart pod ${namespace}/${pod} (${what}) by deleting it; its StatefulSet starts it again.`,
    commands: [`k8s DELETE pod ${namespace}/${pod}`],
  };
}

export function toRanges(slots: number[]): SlotRange[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const out: SlotRange[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.end === s - 1) last.end = s;
    else out.push({ start: s, end: s });
  }
  return out;
}
