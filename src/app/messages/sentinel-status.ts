/**
 * The master/replica side of `status` (issue 19, part 6): counts for the notification text, and one line on
 * what the configured Sentinels say — the master they name, how many answer, whether quorum holds, and any
 * disagreement with the nodes. Pure.
 */
import { buildStandaloneView } from '../../core/standalone/view.ts';
import type { Topology } from '../../core/types.ts';
import { esc } from './kit.ts';

/** Masters and replicas: cluster members, or the reachable nodes of a master/replica set (`nodes` is empty there). */
export function roleCounts(t: Topology): { masters: number; replicas: number } {
  if (t.mode === 'standalone') {
    const view = buildStandaloneView(t);
    return { masters: view.masters.length, replicas: view.replicas.length };
  }
  const count = (role: string) => t.nodes.filter((n) => n.role === role).length;
  return { masters: count('master'), replicas: count('replica') };
}

/** `1 master, 2 replicas`. */
export function roleCountText(t: Topology): string {
  const { masters, replicas } = roleCounts(t);
  return `${masters} master${masters === 1 ? '' : 's'}, ${replicas} replica${replicas === 1 ? '' : 's'}`;
}

/** `Sentinel "orders": 3 of 3 answer, all name 10.0.0.1:6379 (quorum 2 holds)`, plus a flag when they disagree. */
export function sentinelStatusLine(t: Topology): string | undefined {
  const s = t.sentinel;
  if (!s) return undefined;
  const total = s.answers.length;
  const answering = s.answers.filter((a) => a.outcome === 'ok' && a.masterAddr);
  const name = `Sentinel "${esc(s.masterName)}"`;
  if (answering.length === 0)
    return `:warning: ${name}: none of ${total} Sentinel${total === 1 ? '' : 's'} answers — no failover can happen`;
  const quorum = s.quorum;
  const quorumText =
    quorum === undefined
      ? 'quorum unknown'
      : answering.length >= quorum
        ? `quorum ${quorum} holds`
        : `*quorum ${quorum} not reached*`;
  const split = answering.some((a) => a.masterAddr !== s.masterAddr);
  const names = split
    ? `*they disagree*: ${answering.map((a) => `${esc(a.addr)} names ${esc(a.masterAddr ?? '?')}`).join(', ')}`
    : `${answering.length === 1 ? 'it names' : 'all name'} *${esc(s.masterAddr ?? '?')}* as master`;
  const view = buildStandaloneView(t);
  const actual = view.masters.length === 1 ? view.masters[0]?.addr : undefined;
  const nodes =
    actual && s.masterAddr && actual !== s.masterAddr && !split
      ? ` — *but the nodes say ${esc(actual)} is master*`
      : view.masters.length > 1
        ? ` — *the nodes answer with ${view.masters.length} masters*`
        : '';
  const ok = !split && !nodes && (quorum === undefined || answering.length >= quorum);
  return `${ok ? ':shield:' : ':warning:'} ${name}: ${answering.length} of ${total} answer, ${names} (${quorumText})${nodes}`;
}
