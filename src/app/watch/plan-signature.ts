import type { Finding, Topology } from '../../core/types.ts';
import { proposeFromFindings } from '../plans/propose.ts';

/** The plan the planner would make now, as an identity: same steps on the same nodes = same plan. */
export function planSignature(cluster: string, topology: Topology, findings: Finding[]): string | undefined {
  const outcome = proposeFromFindings(topology, findings, {
    cluster,
    requestedBy: 'watcher',
    now: 0,
    ttlMs: 1,
  });
  if (!outcome.ok) return undefined;
  return outcome.plan.steps
    .map(({ sentence: _s, commands: _c, risk: _r, ...step }) => JSON.stringify(step))
    .join('|');
}
