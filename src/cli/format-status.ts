import { countSlots, formatSlotRanges } from '../core/topology/slots.ts';
import type { ClusterNode, Finding, Probe, Severity, Topology } from '../core/types.ts';

const SEVERITY_LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'info' };

function short(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '?';
}

function nodeState(n: ClusterNode): string {
  const parts: string[] = [];
  if (n.health !== 'ok') parts.push(n.health.toUpperCase());
  if (!n.reachable && n.health !== 'unreachable') parts.push('not reached');
  if (n.flags.includes('nofailover')) parts.push('nofailover');
  return parts.length ? `  [${parts.join(', ')}]` : '';
}

function replicaLine(r: ClusterNode): string {
  const link = r.replication?.masterLinkStatus;
  const linkText = link ? `  link ${link}` : '';
  const offset = r.replication?.slaveReplOffset;
  const offText = offset !== undefined ? `  offset ${offset}` : '';
  return `    └ ${short(r.id)}  ${r.addr ?? '(no address)'}  replica${linkText}${offText}${nodeState(r)}`;
}

function probeProblem(p: Probe): string {
  if (p.authFailed) return `  ${p.addr}  authentication failed${p.error ? `: ${p.error}` : ''}`;
  const what = p.outcome === 'timeout' ? `no answer within its timeout` : p.outcome;
  return `  ${p.addr}  ${what}${p.error ? `: ${p.error}` : ''}`;
}

/** The stderr line when no node answered: a refused password is said as such, not as "could not reach". */
export function unreachableMessage(command: string, topology: Topology, seeds: string[]): string {
  if (topology.probes.some((p) => p.authFailed))
    return `redis-medic ${command}: authentication failed at ${seeds.join(', ')}: the nodes refused our credentials (--password / --user, or REDIS_PASSWORD / REDIS_USERNAME)\n`;
  return `redis-medic ${command}: could not reach the cluster at ${seeds.join(', ')}\n`;
}

/**
 * The human summary of `redis-medic status`: state, masters with their replicas and `#replicas` (as in the
 * rcc write-up), slot ranges, addresses outside the cluster or not answering, then findings by severity.
 */
export function formatStatus(topology: Topology, findings: Finding[]): string {
  const out: string[] = [];
  const probes = topology.probes;
  const answered = probes.filter((p) => p.outcome === 'ok').length;

  if (topology.mode === 'standalone') {
    out.push(
      `cluster ${topology.cluster}: standalone Redis (cluster_enabled:0), ${answered}/${probes.length} answered`,
    );
    for (const p of probes) {
      const role = p.replication?.role ?? '?';
      out.push(
        `  ${p.addr}  ${p.outcome === 'ok' ? role : p.outcome}${p.keys !== undefined ? `  keys ${p.keys}` : ''}`,
      );
    }
  } else {
    const masters = topology.nodes.filter((n) => n.role === 'master');
    const replicas = topology.nodes.filter((n) => n.role === 'replica');
    const states = new Set(topology.nodes.flatMap((n) => (n.info ? [n.info.state] : [])));
    const state =
      states.size === 0
        ? 'unknown'
        : states.has('fail')
          ? states.has('ok')
            ? 'ok/fail (mixed)'
            : 'fail'
          : 'ok';
    const failed = topology.nodes.filter((n) => n.health === 'fail').length;
    const live = (xs: ClusterNode[]) => xs.filter((n) => n.health !== 'fail').length;
    out.push(
      `cluster ${topology.cluster}: state ${state} — ${live(masters)} masters, ${live(replicas)} replicas` +
        `${failed ? `, ${failed} failed` : ''}; ${answered}/${probes.length} addresses answered`,
    );
    out.push('');
    const ordered = [...masters].sort((a, b) => (a.slots[0]?.start ?? 1e9) - (b.slots[0]?.start ?? 1e9));
    for (const m of ordered) {
      const mine = replicas.filter((r) => r.masterId === m.id);
      const healthy = mine.filter((r) => r.health === 'ok').length;
      const slots = m.slots.length
        ? `slots ${formatSlotRanges(m.slots)} (${countSlots(m.slots)})`
        : 'no slots';
      const keys = m.keys !== undefined ? `  keys ${m.keys}` : '';
      const healthyNote = healthy !== mine.length ? ` (${healthy} healthy)` : '';
      out.push(
        `${m.id} ${m.addr ?? '(no address)'} master #replicas ${mine.length}${healthyNote}  ${slots}${keys}${nodeState(m)}`,
      );
      for (const r of mine) out.push(replicaLine(r));
    }
    const masterIds = new Set(masters.map((m) => m.id));
    const strays = replicas.filter((r) => !r.masterId || !masterIds.has(r.masterId));
    for (const r of strays) out.push(`${replicaLine(r).trimStart()}  (master ${short(r.masterId)} unknown)`);
    if (topology.outsiders.length) {
      out.push('', 'Live but not in the cluster:');
      for (const o of topology.outsiders) {
        const known = o.info ? `  cluster_known_nodes:${o.info.knownNodes}` : '';
        out.push(`  ${o.addr}  id ${short(o.myId)}${known}${o.pod ? `  pod ${o.pod.name}` : ''}`);
      }
    }
  }

  const failed = probes.filter((p) => p.outcome !== 'ok');
  if (failed.length) {
    out.push('', 'Not answering:');
    for (const p of failed) out.push(probeProblem(p));
  }
  if (topology.podError) out.push('', `Pods could not be listed: ${topology.podError}`);
  for (const d of topology.disagreements) {
    out.push('', `Disagreement: ${d.subject}`);
    for (const v of d.views) out.push(`  ${v.observer} says ${v.says}`);
  }

  out.push('');
  if (findings.length === 0) out.push('No findings: the cluster looks healthy.');
  else {
    out.push(`Findings (${findings.length}):`);
    for (const f of findings) {
      out.push(`  ${SEVERITY_LABEL[f.severity]}  ${f.code}: ${f.summary}`);
      for (const e of f.evidence) out.push(`      - ${e}`);
    }
  }
  return `${out.join('\n')}\n`;
}
