/**
 * Findings of a plain master/replica deployment (`mode: 'standalone'`): no master, two masters, replicas
 * with their link down or far behind, a master whose restart would empty its replicas (write-up 004,
 * part 2), and what Sentinel says. Pure.
 */
import { sortFindings } from '../topology/findings/shared.ts';
import { emptyDirRisk } from '../topology/persistence.ts';
import type { Addr, Finding, Topology } from '../types.ts';
import {
  buildStandaloneView,
  describeStandalone,
  replicasOf,
  type StandaloneNode,
  type StandaloneView,
} from './view.ts';

export const StandaloneFindingCodes = {
  ReplicaLinkDown: 'standalone-replica-link-down',
  ReplicaBehind: 'standalone-replica-behind',
  SplitBrain: 'standalone-split-brain',
  NoMaster: 'standalone-no-master',
  MasterNoPersistence: 'standalone-master-no-persistence',
  SentinelUnconfigured: 'standalone-sentinel-unconfigured',
  SentinelUnreachable: 'standalone-sentinel-unreachable',
  SentinelDisagrees: 'standalone-sentinel-disagrees',
} as const;

export interface StandaloneAnalyzeOptions {
  /** A replica more bytes than this behind its master is "far behind". Default 64 MiB. */
  maxOffsetGap?: number;
  /** A replica not heard of for more seconds than this is "far behind". Default 10. */
  maxLagSeconds?: number;
}

export const DEFAULT_STANDALONE_MAX_OFFSET_GAP = 64 * 1024 * 1024;
export const DEFAULT_STANDALONE_MAX_LAG_SECONDS = 10;

/** How our probe of an address that did not answer went, in words. */
export function unreachableText(n: StandaloneNode | undefined): string {
  if (!n) return 'was not asked';
  switch (n.probe.outcome) {
    case 'refused':
      return 'refused our connection';
    case 'timeout':
      return 'did not answer in time';
    case 'ok':
      return n.role === 'replica' ? `answers as a replica of ${n.follows ?? '?'}` : 'answers';
    default:
      return `could not be read${n.probe.error ? ` (${n.probe.error})` : ''}`;
  }
}

function replicaEvidence(r: StandaloneNode): string {
  const link = r.linkUp
    ? 'link up'
    : `link down${r.linkDownSeconds !== undefined ? ` for ${r.linkDownSeconds} s` : ''}${r.syncInProgress ? ', sync in progress' : ''}`;
  return `${r.addr} says role:slave, master ${r.follows ?? '?'}, ${link}, offset ${r.offset}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function persistenceText(n: StandaloneNode): string {
  const p = n.persistence;
  if (!p) return 'persistence unknown';
  return `appendonly ${p.aofEnabled ? 'yes' : 'no'}, save "${p.saveConfig ?? '?'}"`;
}

/** Every finding of a standalone topology, critical first. A healthy set gives []. */
export function analyzeStandalone(topology: Topology, opts: StandaloneAnalyzeOptions = {}): Finding[] {
  const view = buildStandaloneView(topology);
  if (!view.nodes.some((n) => n.reachable)) return [];
  const findings: Finding[] = [];
  const add: Add = (f) => findings.push({ nodes: [], ...f });
  noMasterFinding(view, add);
  splitBrainFinding(view, add);
  replicaFindings(view, add, {
    maxGap: opts.maxOffsetGap ?? DEFAULT_STANDALONE_MAX_OFFSET_GAP,
    maxLag: opts.maxLagSeconds ?? DEFAULT_STANDALONE_MAX_LAG_SECONDS,
  });
  persistenceFindings(view, add);
  sentinelFindings(view, add);
  return sortFindings(findings);
}

type Add = (f: Omit<Finding, 'nodes'> & { nodes?: string[] }) => void;

/** No master: replicas follow an address that does not answer (or is not a master). */
function noMasterFinding(view: StandaloneView, add: Add): void {
  if (view.masters.length > 0) return;
  const followed = new Map<Addr, StandaloneNode[]>();
  for (const r of view.replicas) {
    const key = r.masterAddr ?? '?';
    followed.set(key, [...(followed.get(key) ?? []), r]);
  }
  const gone = [...followed.keys()];
  const evidence = [
    ...gone.map((a) => `${a} ${unreachableText(view.byAddr(a))}`),
    ...view.replicas.map(replicaEvidence),
  ];
  add({
    code: StandaloneFindingCodes.NoMaster,
    severity: 'critical',
    summary:
      view.replicas.length > 0
        ? `No master answers: ${plural(view.replicas.length, 'replica')} follow ${gone.join(', ')}, which ${gone.length === 1 ? unreachableText(view.byAddr(gone[0])) : 'do not answer'}; writes fail until a replica is promoted`
        : 'No master answers: no node of this set is a master',
    addrs: [...gone, ...view.replicas.map((r) => r.addr)],
    evidence,
  });
}

/** Two masters: clients may write to both, and the writes to one of them will be lost. */
function splitBrainFinding(view: StandaloneView, add: Add): void {
  if (view.masters.length <= 1) return;
  const parts = view.masters.map(
    (m) =>
      `${describeStandalone(m)} (${plural(m.keys ?? 0, 'key')}, ${plural(m.replicas.length, 'replica')})`,
  );
  add({
    code: StandaloneFindingCodes.SplitBrain,
    severity: 'critical',
    summary: `${view.masters.length} masters answer: ${parts.join(' and ')}; writes to one of them are lost when they are joined`,
    addrs: view.masters.map((m) => m.addr),
    evidence: view.masters.map(
      (m) =>
        `${m.addr} says role:master, ${plural(m.replicaLines.length, 'connected replica')}, offset ${m.offset}, ${plural(m.keys ?? 0, 'key')}`,
    ),
  });
}

/** Replicas: link down (to a master that answers; a dead master is the no-master finding), or far behind. */
function replicaFindings(view: StandaloneView, add: Add, limits: { maxGap: number; maxLag: number }): void {
  const masterDown = view.masters.length === 0;
  for (const r of view.replicas) {
    const master = view.byAddr(r.masterAddr);
    if (!r.linkUp) {
      if (!masterDown) add(linkDownFinding(r, master));
      continue;
    }
    const behindBytes = r.lagBytes !== undefined && r.lagBytes > limits.maxGap;
    const behindSeconds = r.lagSeconds !== undefined && r.lagSeconds > limits.maxLag;
    if (!behindBytes && !behindSeconds) continue;
    add({
      code: StandaloneFindingCodes.ReplicaBehind,
      severity: 'warning',
      summary: `replica ${describeStandalone(r)} is far behind ${r.masterAddr}: ${[
        behindBytes ? `${r.lagBytes} bytes` : '',
        behindSeconds ? `last ack ${r.lagSeconds} s ago` : '',
      ]
        .filter(Boolean)
        .join(', ')}`,
      addrs: [r.addr, ...(r.masterAddr ? [r.masterAddr] : [])],
      evidence: [
        `${r.masterAddr} says master_repl_offset:${master?.offset ?? '?'}`,
        replicaEvidence(r),
        ...(r.lagSeconds !== undefined ? [`${r.masterAddr} says lag=${r.lagSeconds} for ${r.addr}`] : []),
      ],
    });
  }
}

function linkDownFinding(r: StandaloneNode, master: StandaloneNode | undefined): Omit<Finding, 'nodes'> {
  const why = master?.reachable
    ? master.role === 'master'
      ? r.syncInProgress
        ? 'a full sync is in progress'
        : 'its master answers, so the link itself is broken'
      : `${master.addr} is not a master (${unreachableText(master)})`
    : `its master ${r.masterAddr ?? '?'} ${unreachableText(master)}`;
  return {
    code: StandaloneFindingCodes.ReplicaLinkDown,
    severity: 'warning',
    summary: `replica ${describeStandalone(r)} has its link to ${r.masterAddr ?? '?'} down${r.linkDownSeconds !== undefined ? ` for ${r.linkDownSeconds} s` : ''}: ${why}`,
    addrs: [r.addr, ...(r.masterAddr ? [r.masterAddr] : [])],
    evidence: [replicaEvidence(r)],
  };
}

/** A master without persistence, with replicas: restarted, it comes back empty and they copy it. */
function persistenceFindings(view: StandaloneView, add: Add): void {
  for (const m of view.masters) {
    const followers = replicasOf(view, m.addr);
    // AOF on an emptyDir (write-up 004, part 1): Redis says aof_enabled:1, yet the file dies with the pod.
    const emptyDir = m.pod?.dataVolume === 'emptyDir' ? m.pod : undefined;
    if ((m.persistent !== false && !emptyDir) || followers.length === 0) continue;
    const followEvidence = followers.map(
      (r) => `${r.addr} follows it (${r.linkUp ? 'link up' : 'link down'})`,
    );
    if (m.persistent !== false && emptyDir) {
      const p = m.persistence;
      const what = emptyDirRisk(p, emptyDir.dataMountPath);
      add({
        code: StandaloneFindingCodes.MasterNoPersistence,
        severity: 'warning',
        summary: `master ${describeStandalone(m)}: ${what}: a pod restart empties this master and then its replicas (${plural(followers.length, 'replica')}, ${plural(m.keys ?? 0, 'key')} at risk). Promote a replica before restarting it, and give the pod a persistent volume (the chart's master.persistence.enabled=true)`,
        addrs: [m.addr, ...followers.map((r) => r.addr)],
        evidence: [
          ...(p ? [`${m.addr} says aof_enabled:${p.aofEnabled ? 1 : 0}`] : []),
          ...(p?.saveConfig !== undefined ? [`${m.addr} says save "${p.saveConfig}"`] : []),
          `pod ${emptyDir.name} mounts an emptyDir at ${emptyDir.dataMountPath ?? '/data'}: it is emptied when the pod is deleted or rescheduled`,
          ...followEvidence,
          `a master restarted without data is still their master: they resync to its empty dataset (write-up 004, parts 1 and 2)`,
        ],
      });
      continue;
    }
    add({
      code: StandaloneFindingCodes.MasterNoPersistence,
      severity: 'warning',
      summary: `master ${describeStandalone(m)} has no persistence (${persistenceText(m)}): a restart of this master empties every replica (${plural(followers.length, 'replica')}, ${plural(m.keys ?? 0, 'key')} at risk). Promote a replica before restarting it, or turn AOF on`,
      addrs: [m.addr, ...followers.map((r) => r.addr)],
      evidence: [
        `${m.addr} says aof_enabled:0`,
        `${m.addr} says save "${m.persistence?.saveConfig ?? ''}"`,
        ...followEvidence,
        `a master restarted without data is still their master: they resync to its empty dataset (write-up 004, part 2)`,
      ],
    });
  }
}

function sentinelFindings(view: StandaloneView, add: Add): void {
  const s = view.sentinel;
  if (!s) {
    if (view.sentinelDetected) {
      const watched = view.nodes.filter((n) => (n.probe.sentinelSubscribers ?? 0) > 0);
      add({
        code: StandaloneFindingCodes.SentinelUnconfigured,
        severity: 'info',
        summary:
          'Sentinel watches these nodes, but the bot does not know the Sentinels: it will not promote or repoint replicas itself (that would fight Sentinel). Add `sentinels` and `sentinelMaster` to this cluster definition to let the bot fail over through Sentinel',
        addrs: watched.map((n) => n.addr),
        evidence: watched.map(
          (n) => `${n.addr} has ${n.probe.sentinelSubscribers} subscriber(s) on __sentinel__:hello`,
        ),
      });
    }
    return;
  }
  const answering = s.answers.filter((a) => a.outcome === 'ok' && a.masterAddr);
  if (answering.length === 0) {
    add({
      code: StandaloneFindingCodes.SentinelUnreachable,
      severity: 'warning',
      summary: `No configured Sentinel answers about master "${s.masterName}": no failover can happen (neither Sentinel's nor the bot's)`,
      addrs: s.answers.map((a) => a.addr),
      evidence: s.answers.map((a) => `${a.addr}: ${a.error ?? a.outcome}`),
    });
    return;
  }
  const actual = view.masters.length === 1 ? view.masters[0] : undefined;
  const split = answering.some((a) => a.masterAddr !== s.masterAddr);
  if ((actual && s.masterAddr !== actual.addr) || split) {
    add({
      code: StandaloneFindingCodes.SentinelDisagrees,
      severity: 'warning',
      summary: split
        ? `The Sentinels do not agree on the master of "${s.masterName}"`
        : `Sentinel names ${s.masterAddr} as master of "${s.masterName}", but ${actual?.addr} is the master that answers`,
      addrs: [...new Set([...answering.map((a) => a.masterAddr!), ...(actual ? [actual.addr] : [])])],
      evidence: answering.map((a) => `${a.addr} names ${a.masterAddr} (flags ${a.flags ?? '?'})`),
    });
  }
}
