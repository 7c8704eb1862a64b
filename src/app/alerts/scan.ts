import { analyzeTopology } from '../../core/topology/analyze.ts';
import type { Finding, Topology } from '../../core/types.ts';
import { withDeadline } from '../../deadline.ts';
import type { ClusterEntry } from '../clusters.ts';

/** The longest a scan may take before the alert is posted with what is known (Alertmanager waits on us). */
export const ALERT_SCAN_DEADLINE_MS = 4000;

export type AlertScan = { ok: true; topology: Topology; findings: Finding[] } | { ok: false; error: string };

/** A fresh scan, cut at ALERT_SCAN_DEADLINE_MS: past it the alert is posted with the reason. */
export async function alertScan(entry: ClusterEntry, scanTimeoutMs: number): Promise<AlertScan> {
  const deadline = Math.min(scanTimeoutMs * 3 + 250, ALERT_SCAN_DEADLINE_MS);
  try {
    const topology = await withDeadline(
      entry.source.scan({ timeoutMs: scanTimeoutMs }),
      deadline,
      () => new Error(`the scan took longer than ${deadline} ms`),
    );
    if (!topology.probes.some((p) => p.outcome === 'ok'))
      return {
        ok: false,
        error: `no node answered (${topology.probes.map((p) => `${p.addr}: ${p.outcome}`).join(', ') || 'no address to ask'})`,
      };
    return { ok: true, topology, findings: analyzeTopology(topology) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
