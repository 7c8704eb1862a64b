/**
 * Step builders of plain master/replica deployments, with their exact commands (the dry run). Pure.
 */
import type { Addr, SentinelView, Step } from '../types.ts';
import { describeStandalone, type StandaloneNode } from './view.ts';

/** Seconds `FAILOVER TO` waits for the replica to catch up before it gives up (and nothing changes). */
export const HANDOVER_TIMEOUT_MS = 10_000;

export function splitHostPort(addr: Addr): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(addr.slice(i + 1)) };
}

/** What the Bitnami `redis` chart needs so that persistence outlives the pod (write-up 004, part 2). */
export function chartPersistenceAdvice(role: 'master' | 'replica'): string {
  return `This lasts only until the next restart: the pod starts again from the chart's configuration. To keep it, set the Bitnami \`redis\` chart's \`${role}.persistence.enabled=true\` (a PersistentVolume for /data; write-up 004 installed it with \`--set master.persistence.enabled=true --set master.persistence.size=1Gi\`) and keep \`appendonly yes\` in \`commonConfiguration\` (the chart's default): without the volume the AOF sits on an emptyDir and is lost with the pod.`;
}

/** Promote a replica whose master is gone: `REPLICAOF NO ONE` on it. */
export function promoteStep(candidate: StandaloneNode, former: Addr, others: StandaloneNode[]): Step {
  const behind =
    others.length > 0 ? `; the other replicas are at ${others.map((o) => o.offset).join(', ')}` : '';
  return {
    kind: 'promote',
    addr: candidate.addr,
    formerMaster: former,
    risk: 'medium',
    sentence: `Promote replica ${describeStandalone(candidate)} (highest offset, ${candidate.offset}${behind}) to master in place of ${former}, which does not answer. Writes ${former} acknowledged but never sent to a replica are lost. If ${former} comes back, it comes back as a master: diagnose again to make it a replica.`,
    commands: [`${candidate.addr} REPLICAOF NO ONE`],
  };
}

/** A planned handover while the master runs: `FAILOVER TO` pauses writes until the replica caught up. */
export function handoverStep(candidate: StandaloneNode, master: StandaloneNode, targetAddr: Addr): Step {
  const { host, port } = splitHostPort(targetAddr);
  return {
    kind: 'promote',
    addr: candidate.addr,
    formerMaster: master.addr,
    handover: true,
    risk: 'medium',
    sentence: `Hand master ${describeStandalone(master)} over to its replica ${describeStandalone(candidate)}: ${master.addr} pauses writes until the replica has every write, then the replica becomes master and ${master.addr} its replica. No acknowledged write is lost; writes pause for a moment.`,
    commands: [`${master.addr} FAILOVER TO ${host} ${port} TIMEOUT ${HANDOVER_TIMEOUT_MS}`],
  };
}

export interface ReplicaofOptions {
  /** The node's keys, when it is a master (they are dropped for a copy of the new master). */
  keys?: number;
  /** The node runs in this pod (its address changes when it is recreated). */
  pod?: { name: string; namespace: string };
  /** Extra words for the sentence. */
  note?: string;
  label?: string;
}

/** Make a node follow a master: `REPLICAOF host port`. */
export function replicaofStep(addr: Addr, masterAddr: Addr, opts: ReplicaofOptions = {}): Step {
  const { host, port } = splitHostPort(masterAddr);
  const keys = opts.keys ?? 0;
  const label = opts.label ?? addr;
  const loss =
    keys > 0
      ? ` It is a master with ${keys} key${keys === 1 ? '' : 's'}: they are dropped and replaced by a copy of ${masterAddr}.`
      : '';
  return {
    kind: 'replicaof',
    addr,
    masterAddr,
    ...(opts.pod ? { pod: opts.pod } : {}),
    ...(keys === 0 ? { expectEmpty: true } : {}),
    risk: keys > 0 ? 'data-loss' : 'low',
    sentence: `Make ${label} follow ${masterAddr} as its replica, then wait until its link is up.${loss}${opts.note ? ` ${opts.note}` : ''}`,
    commands: [`${addr} REPLICAOF ${host} ${port}`],
  };
}

/** Turn AOF on at run time: `CONFIG SET appendonly yes` (Redis writes the AOF base file in the background). */
export function enableAofStep(node: StandaloneNode, role: 'master' | 'replica'): Step {
  return {
    kind: 'enable-aof',
    addr: node.addr,
    risk: 'low',
    sentence: `Turn on AOF persistence on ${role} ${describeStandalone(node)} (${node.keys ?? 0} key${node.keys === 1 ? '' : 's'}) and wait until its first AOF rewrite has finished. ${chartPersistenceAdvice(role)}`,
    commands: [`${node.addr} CONFIG SET appendonly yes`],
  };
}

/** Ask Sentinel to fail over: it picks the replica, promotes it and repoints the others. */
export function sentinelFailoverStep(
  sentinel: SentinelView,
  why: string,
): Extract<Step, { kind: 'sentinel-failover' }> {
  const sentinels = sentinel.answers.map((a) => a.addr);
  const first = sentinel.answers.find((a) => a.outcome === 'ok')?.addr ?? sentinels[0] ?? '?';
  return {
    kind: 'sentinel-failover',
    masterName: sentinel.masterName,
    sentinels,
    ...(sentinel.masterAddr ? { masterAddr: sentinel.masterAddr } : {}),
    risk: 'medium',
    sentence: `Ask Sentinel to fail over "${sentinel.masterName}" (master ${sentinel.masterAddr ?? '?'}): ${why}. Sentinel picks the replica (priority, then offset), promotes it and repoints the others; the bot sends no REPLICAOF itself and waits until the Sentinels name the new master.`,
    commands: [`${first} SENTINEL FAILOVER ${sentinel.masterName}`],
  };
}
