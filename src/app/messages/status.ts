import { answeringServers, describeServers } from '../../core/topology/server-traits.ts';
import type { ClusterNode, Finding, NodeHealth, Severity, Topology } from '../../core/types.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import {
  clock,
  context,
  countSlotsIn,
  divider,
  esc,
  fields,
  fitMessage,
  fmtSlots,
  header,
  packLines,
  SEVERITY_EMOJI,
  section,
  shortId,
} from './kit.ts';
import { roleCountText, sentinelStatusLine } from './sentinel-status.ts';

const HEALTH_EMOJI: Record<NodeHealth, string> = {
  ok: ':large_green_circle:',
  pfail: ':large_yellow_circle:',
  fail: ':red_circle:',
  unreachable: ':red_circle:',
  handshake: ':white_circle:',
  noaddr: ':white_circle:',
};

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];

/** `ok` / `fail` as the reachable nodes report it; `unknown` when none answered. */
export function clusterState(t: Topology): 'ok' | 'fail' | 'unknown' {
  const states = t.nodes.filter((n) => n.reachable && n.info).map((n) => n.info?.state);
  if (states.length === 0) return 'unknown';
  return states.includes('fail') ? 'fail' : 'ok';
}

/** One word and an emoji for a cluster's health: worst finding wins. */
export function healthOf(t: Topology | null, findings: Finding[]): { emoji: string; word: string } {
  if (!t || t.nodes.length === 0 || !t.nodes.some((n) => n.reachable)) {
    if (t && t.mode === 'standalone' && t.probes.some((p) => p.outcome === 'ok'))
      return worst(findings) ?? { emoji: ':large_green_circle:', word: 'healthy' };
    // The nodes answer, but refuse our password: say that, not "unreachable".
    if (t?.probes.some((p) => p.authFailed)) return { emoji: ':lock:', word: 'authentication failed' };
    return { emoji: ':black_circle:', word: 'unreachable' };
  }
  if (clusterState(t) === 'fail') return { emoji: ':red_circle:', word: 'cluster_state:fail' };
  return worst(findings) ?? { emoji: ':large_green_circle:', word: 'healthy' };
}

function worst(findings: Finding[]): { emoji: string; word: string } | undefined {
  if (findings.some((f) => f.severity === 'critical'))
    return { emoji: ':red_circle:', word: 'needs attention' };
  if (findings.some((f) => f.severity === 'warning'))
    return { emoji: ':large_orange_circle:', word: 'ok, with warnings' };
  return undefined;
}

/** `2 critical, 1 warning`. */
export function findingCounts(findings: Pick<Finding, 'severity'>[]): string {
  const parts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}${s === 'warning' && n > 1 ? 's' : ''}`);
  return parts.length ? parts.join(', ') : 'none';
}

function nodeLabel(n: ClusterNode): string {
  const addr = n.addr ? `*${esc(n.addr)}*` : '*(no address)*';
  const pod = n.pod ? ` pod \`${esc(n.pod.name)}\`` : '';
  return `${addr} \`${shortId(n.id)}\`${pod}`;
}

function healthNote(n: ClusterNode): string {
  const parts: string[] = [];
  if (n.health !== 'ok') parts.push(`*${n.health}*`);
  if (n.failReportedBy.length) parts.push(`fail by ${n.failReportedBy.length}`);
  else if (n.pfailReportedBy.length) parts.push(`pfail by ${n.pfailReportedBy.length}`);
  if (n.keys !== undefined) parts.push(`${n.keys} keys`);
  return parts.length ? ` — ${parts.join(', ')}` : '';
}

function replicaNote(n: ClusterNode): string {
  const r = n.replication;
  const parts: string[] = [];
  if (n.health !== 'ok') parts.push(`*${n.health}*`);
  if (r?.masterLinkStatus) parts.push(`link ${r.masterLinkStatus}`);
  if (r?.masterSyncInProgress) parts.push('syncing');
  if (n.flags.includes('nofailover')) parts.push('nofailover');
  return parts.length ? ` — ${parts.join(', ')}` : '';
}

/** A replica that answers and whose link to its master is up: it holds a live copy. */
const replicaUp = (r: ClusterNode) => r.health === 'ok' && (r.replication?.masterLinkStatus ?? 'up') === 'up';

/** A shard with nothing to say: master and every replica ok, links up, not nofailover, and a replica at all. */
function healthyShard(m: ClusterNode, reps: ClusterNode[]): boolean {
  if (m.health !== 'ok' || (reps.length === 0 && m.slots.length > 0)) return false;
  return reps.every(
    (r) => replicaUp(r) && !r.replication?.masterSyncInProgress && !r.flags.includes('nofailover'),
  );
}

/**
 * Lines for masters with their replicas, then nodes that fit nowhere. Healthy shards collapse into one line
 * ("58 nodes healthy"), so on a phone the problem nodes are what shows (issue 19, part 2).
 */
export function memberLines(t: Topology): string[] {
  const masters = t.nodes.filter((n) => n.role === 'master');
  const byMaster = new Map<string, ClusterNode[]>();
  for (const n of t.nodes) {
    if (n.role === 'replica' && n.masterId) {
      const list = byMaster.get(n.masterId) ?? [];
      list.push(n);
      byMaster.set(n.masterId, list);
    }
  }
  const lines: string[] = [];
  let healthyNodes = 0;
  let healthyShards = 0;
  const sorted = [...masters].sort((a, b) => (a.slots[0]?.start ?? 1e9) - (b.slots[0]?.start ?? 1e9));
  for (const m of sorted) {
    const shard = byMaster.get(m.id) ?? [];
    if (healthyShard(m, shard)) {
      healthyShards++;
      healthyNodes += 1 + shard.length;
      continue;
    }
    const slots = m.slots.length ? `slots ${fmtSlots(m.slots)} (${countSlotsIn(m.slots)})` : 'no slots';
    lines.push(`${HEALTH_EMOJI[m.health]} ${nodeLabel(m)} master, ${slots}${healthNote(m)}`);
    const reps = byMaster.get(m.id) ?? [];
    if (reps.length === 0 && m.slots.length > 0) lines.push('      ↳ _no replica_');
    for (const r of reps)
      lines.push(`      ↳ ${HEALTH_EMOJI[r.health]} replica ${nodeLabel(r)}${replicaNote(r)}`);
  }
  const masterIds = new Set(masters.map((m) => m.id));
  for (const r of t.nodes) {
    if (r.role === 'replica' && (!r.masterId || !masterIds.has(r.masterId)))
      lines.push(
        `${HEALTH_EMOJI[r.health]} replica ${nodeLabel(r)} of unknown master \`${shortId(r.masterId)}\``,
      );
  }
  if (healthyNodes > 0)
    lines.unshift(
      `${HEALTH_EMOJI.ok} ${healthyNodes} node${healthyNodes === 1 ? '' : 's'} healthy (${healthyShards} shard${healthyShards === 1 ? '' : 's'}: master and replicas up, links up)`,
    );
  for (const o of t.outsiders) {
    const pod = o.pod ? ` pod \`${esc(o.pod.name)}\`` : '';
    const known = o.info ? `, knows ${o.info.knownNodes} node${o.info.knownNodes === 1 ? '' : 's'}` : '';
    lines.push(`:heavy_plus_sign: *${esc(o.addr)}*${pod} answers but is *not in the cluster*${known}`);
  }
  return lines;
}

/** Lines for a deployment without cluster mode (issue 10): each probe with its role. */
function standaloneLines(t: Topology): string[] {
  return t.probes.map((p) => {
    const ok = p.outcome === 'ok';
    const role = p.replication
      ? p.replication.role === 'master'
        ? `master, ${p.replication.connectedSlaves} replica(s)`
        : `replica of ${p.replication.masterHost ?? '?'}:${p.replication.masterPort ?? '?'} (link ${p.replication.masterLinkStatus ?? '?'})`
      : '';
    return `${ok ? ':large_green_circle:' : ':red_circle:'} *${esc(p.addr)}* ${ok ? role : `*${p.outcome}*`}`;
  });
}

export function findingLines(findings: Finding[], evidencePerFinding: number): string[] {
  const lines: string[] = [];
  for (const sev of SEVERITIES) {
    for (const f of findings.filter((x) => x.severity === sev)) {
      lines.push(`${SEVERITY_EMOJI[sev]} *${sev}* ${esc(f.summary)} \`${esc(f.code)}\``);
      for (const e of f.evidence.slice(0, evidencePerFinding)) lines.push(`      _${esc(e)}_`);
      if (f.evidence.length > evidencePerFinding && evidencePerFinding > 0)
        lines.push(`      _…${f.evidence.length - evidencePerFinding} more_`);
    }
  }
  return lines;
}

/** `status`: state, masters with replicas and slot ranges, then findings by severity. */
export function renderStatus(t: Topology, findings: Finding[]): ChatMessage {
  const h = healthOf(t, findings);
  const masters = t.nodes.filter((n) => n.role === 'master');
  const replicas = t.nodes.filter((n) => n.role === 'replica');
  const covered = masters.filter((m) => m.health === 'ok').reduce((s, m) => s + countSlotsIn(m.slots), 0);
  const unreachable = t.probes.filter((p) => p.outcome !== 'ok');
  const scanMs = Math.max(0, ...t.probes.map((p) => p.ms));
  const servers = describeServers(answeringServers(t));
  const blocks: Block[] = [header(`${h.emoji} Redis ${t.cluster}: ${h.word}`)];
  // The verdict and the findings first: a phone shows the top of the message.
  if (findings.length === 0) blocks.push(section(':white_check_mark: No findings: every check passed.'));
  else
    blocks.push(
      ...packLines(findingLines(findings, 1), 6, (n) => `_…${n} more lines of findings left out._`).blocks,
    );
  blocks.push(divider());
  if (t.mode === 'standalone') {
    blocks.push(
      fields([
        ['Mode', 'master/replica (no cluster mode)'],
        ['Findings', findingCounts(findings)],
      ]),
    );
    const sentinel = sentinelStatusLine(t);
    if (sentinel) blocks.push(section(sentinel));
    blocks.push(...packLines(standaloneLines(t), 6, (n) => `_…${n} more nodes left out_`).blocks);
  } else {
    blocks.push(
      fields([
        ['State', `cluster_state:${clusterState(t)}`],
        ['Masters', `${masters.length} (${masters.filter((m) => m.health === 'ok').length} healthy)`],
        ['Replicas', `${replicas.length} (${replicas.filter(replicaUp).length} healthy)`],
        ['Slots served', `${covered} / 16384`],
        ['Unreachable addresses', `${unreachable.length}`],
        ['Findings', findingCounts(findings)],
      ]),
    );
    blocks.push(divider());
    const lines = memberLines(t);
    if (lines.length === 0) blocks.push(section('_No node answered._'));
    else
      blocks.push(
        ...packLines(
          lines,
          8,
          (n) =>
            `_…${n} more lines left out (${t.nodes.length} nodes in all); \`redis-medic status --json\` shows every node._`,
        ).blocks,
      );
  }
  if (unreachable.length > 0) {
    const shown = unreachable
      .slice(0, 12)
      .map((p) => `${esc(p.addr)} (${p.authFailed ? 'authentication failed' : p.outcome})`);
    const more = unreachable.length > 12 ? ` …and ${unreachable.length - 12} more` : '';
    blocks.push(context(`:electric_plug: Not answering: ${shown.join(', ')}${more}`));
  }
  if (t.podError)
    blocks.push(context(`:warning: Kubernetes API: ${esc(t.podError)} — showing the Redis view only.`));
  blocks.push(
    context(
      `Scanned ${t.probes.length} address${t.probes.length === 1 ? '' : 'es'} at ${clock(t.takenAt)} (slowest ${scanMs} ms)${servers ? ` · ${esc(servers)}` : ''} · fingerprint \`${esc(t.fingerprint.slice(0, 12))}\` · \`/redis diagnose${t.cluster ? ` ${esc(t.cluster)}` : ''}\` for a plan`,
    ),
  );
  const text = `Redis ${t.cluster}: ${h.word} — ${roleCountText(t)}, findings: ${findingCounts(findings)}`;
  return fitMessage(text, blocks);
}
