import type { PlanRecord } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Finding } from '../../core/types.ts';
import type { ChatMessage } from '../chat-port.ts';
import type { ClusterRegistry } from '../clusters.ts';
import { type ProgressState, renderSummary } from '../messages/index.ts';
import type { Scan } from '../scan.ts';

/** No critical finding and no disagreement left: nodes agree on the new picture. */
function settled(findings: Finding[]): boolean {
  return !findings.some((f) => f.severity === 'critical' || /disagreement/.test(f.code));
}

/** The summary posted in a plan's thread once it ended, with the cluster as it stands after it. */
export async function summarise(
  deps: {
    clusters: Pick<ClusterRegistry, 'resolve'>;
    settings: { settleMs?: number };
    clock: Clock;
    scan: Scan;
  },
  rec: PlanRecord,
  stopped: () => boolean,
  progress?: ProgressState,
): Promise<ChatMessage> {
  const { clock, scan } = deps;
  const r = deps.clusters.resolve(rec.plan.cluster);
  let after: Parameters<typeof renderSummary>[1]['after'];
  if (r.ok) {
    // Gossip takes a moment to agree after the last step: re-read until the picture settles (bounded).
    const settleUntil = clock.now() + (deps.settings.settleMs ?? 10_000);
    // Fresh reads only: a scan started before the last step acted would show the cluster before it.
    let s = await scan(r.entry, { fresh: true });
    while (s.ok && !settled(s.findings) && clock.now() < settleUntil && !stopped()) {
      await new Promise((res) => setTimeout(res, 500));
      s = await scan(r.entry, { fresh: true });
    }
    after = s.ok
      ? { findings: s.findings, healthy: !s.findings.some((f) => f.severity === 'critical') }
      : { findings: [], healthy: false, error: s.error };
  }
  return renderSummary(rec, { ...(progress ? { progress } : {}), ...(after ? { after } : {}) });
}
