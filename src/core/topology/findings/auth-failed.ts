import type { Finding, Probe, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/**
 * Addresses that refused our credentials and are no member we know (members have node-unreachable), e.g. a
 * restarted pod with another password. They are left out of the picture: say so.
 */
export const codes = [FindingCodes.AuthFailed];

export function find(topology: Topology): Finding[] {
  const memberAddrs = new Set(topology.nodes.map((n) => n.addr));
  const strangers = topology.probes.filter((p) => p.authFailed && !memberAddrs.has(p.addr));
  return strangers.length > 0 ? [authFailedFinding(topology, strangers, false)] : [];
}

/** Addresses that answered with NOAUTH / WRONGPASS: the credentials we were given are missing or wrong. */
export function authFailedFinding(topology: Topology, refused: Probe[], nobodyAnswered: boolean): Finding {
  const noPassword = refused.every((p) => /NOAUTH/.test(p.error ?? ''));
  const why = noPassword
    ? topology.auth
      ? 'the nodes ask for a password and refuse the one configured'
      : 'the nodes ask for a password and none is configured (REDIS_PASSWORD)'
    : topology.auth?.username
      ? `wrong password for user ${topology.auth.username} (REDIS_USERNAME / REDIS_PASSWORD)`
      : 'wrong password (REDIS_PASSWORD), or the user needs a name (REDIS_USERNAME)';
  const n = refused.length;
  const others = topology.probes.length - n;
  const summary = nobodyAnswered
    ? `authentication failed: ${n} address${n === 1 ? '' : 'es'} refused our credentials — ${why}${others > 0 ? `; ${others} other${others === 1 ? '' : 's'} did not answer` : ''}. The cluster's state is unknown`
    : `authentication failed on ${n} address${n === 1 ? '' : 'es'} outside the known members (${why}): left out of this picture`;
  return {
    code: FindingCodes.AuthFailed,
    severity: nobodyAnswered ? 'critical' : 'warning',
    summary,
    nodes: [],
    addrs: (nobodyAnswered ? topology.probes : refused).map((p) => p.addr),
    evidence: (nobodyAnswered ? topology.probes : refused).map((p) =>
      p.authFailed
        ? (p.error ?? `${p.addr}: authentication failed`)
        : `${p.addr}: ${p.outcome}${p.error ? ` (${p.error})` : ''}`,
    ),
  };
}
