import type { ClusterNode, Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';
import { addrs, nodeLabel, observerAddr, type RuleContext, servesSlots, slotsText } from './shared.ts';

/** Nodes the cluster marks failed or suspect, that we cannot reach, in handshake or without an address. */
export const codes = [
  FindingCodes.NodeFailed,
  FindingCodes.NodePfail,
  FindingCodes.NodeUnreachable,
  FindingCodes.NodeHandshake,
  FindingCodes.NodeNoaddr,
];

export function find(topology: Topology, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const n of topology.nodes) {
    const f = nodeStateFinding(n, ctx);
    if (f) out.push(f);
  }
  return out;
}

function nodeStateFinding(n: ClusterNode, ctx: RuleContext): Finding | undefined {
  const who = nodeLabel(n);
  switch (n.health) {
    case 'fail':
      return {
        code: FindingCodes.NodeFailed,
        severity: servesSlots(n) ? 'critical' : 'warning',
        summary: servesSlots(n)
          ? `${n.role} ${who} is marked failed and still holds ${slotsText(n.slots)}`
          : `${n.role} ${who} is marked failed by ${n.failReportedBy.length} node${n.failReportedBy.length === 1 ? '' : 's'}${n.role === 'master' ? ': a ghost to forget' : ''}`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: n.failReportedBy.map((o) => `${observerAddr(ctx, o)} says fail`),
      };
    case 'pfail':
      return {
        code: FindingCodes.NodePfail,
        severity: 'warning',
        summary: `${n.role} ${who} is suspected down (fail?) by ${n.pfailReportedBy.length} node${n.pfailReportedBy.length === 1 ? '' : 's'}`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: n.pfailReportedBy.map((o) => `${observerAddr(ctx, o)} says fail?`),
      };
    case 'unreachable':
      return unreachableFinding(n, ctx);
    case 'handshake':
      return {
        code: FindingCodes.NodeHandshake,
        severity: 'info',
        summary: `${who} is in handshake: a temporary id that is met now or expires on its own`,
        nodes: [n.id],
        ...addrs(n.addr),
        evidence: [`flags ${n.flags.join(',')}`],
      };
    case 'noaddr':
      return {
        code: FindingCodes.NodeNoaddr,
        severity: 'warning',
        summary: `${who} has no address (noaddr): its IP now answers with another node id`,
        nodes: [n.id],
        evidence: [`flags ${n.flags.join(',')}`],
      };
    default:
      return undefined;
  }
}

/** A member the cluster does not mark failed, but that our own probe could not reach as itself. */
function unreachableFinding(n: ClusterNode, ctx: RuleContext): Finding {
  const p = n.addr ? ctx.index.probeByAddr.get(n.addr) : undefined;
  const how =
    p?.outcome === 'ok'
      ? `answers as another node (${(p.myId ?? '?').slice(0, 8)})`
      : p?.authFailed
        ? 'refused our credentials (authentication failed)'
        : p?.outcome === 'refused'
          ? 'refused our connection'
          : p?.outcome === 'timeout'
            ? `did not answer within ${p.ms} ms`
            : `answered an error${p?.error ? `: ${p.error}` : ''}`;
  return {
    code: FindingCodes.NodeUnreachable,
    severity: servesSlots(n) ? 'critical' : 'warning',
    summary: `${n.role} ${nodeLabel(n)} ${how}, though the cluster does not mark it failed`,
    nodes: [n.id],
    ...addrs(n.addr),
    evidence: [`our probe of ${n.addr}: ${p?.outcome ?? 'not asked'}${p?.error ? ` (${p.error})` : ''}`],
  };
}
