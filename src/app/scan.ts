import { asCodedError, CodedError, ErrorCodes } from '../core/errors.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { Finding, Topology } from '../core/types.ts';
import { withDeadline } from '../deadline.ts';
import type { ClusterEntry } from './clusters.ts';

/** A read of one cluster with its findings, or why it could not be read. */
export type ScanResult = { ok: true; topology: Topology; findings: Finding[] } | { ok: false; error: string };

/** Reads a cluster; `fresh`: never share a scan already under way. */
export type Scan = (entry: ClusterEntry, opts?: { fresh?: boolean }) => Promise<ScanResult>;

export interface ScanOptions {
  /** Per-node scan bound; the whole scan is cut at about 3× this, so a frozen node never holds an answer longer. */
  scanTimeoutMs: number;
  /** Findings of a topology (default analyzeTopology). */
  analyze?: (t: Topology) => Finding[];
}

/**
 * One deadline-bound scan per cluster at a time. Concurrent requests for one cluster (twenty people typing
 * `/redis status` during an incident) share one scan instead of asking every node twenty times; a request
 * that arrives after it finished starts a new one, so no answer is older than the request.
 */
export function createScan(opts: ScanOptions): Scan {
  const analyze = opts.analyze ?? ((t: Topology) => analyzeTopology(t));
  const inFlight = new Map<string, Promise<ScanResult>>();

  async function scanNow(entry: ClusterEntry): Promise<ScanResult> {
    const deadline = opts.scanTimeoutMs * 3 + 250;
    try {
      const topology = await withDeadline(
        entry.source.scan({ timeoutMs: opts.scanTimeoutMs }),
        deadline,
        () =>
          new CodedError(
            ErrorCodes.ClusterUnreachable,
            `reading cluster ${entry.name} took longer than ${deadline} ms`,
          ),
      );
      return { ok: true, topology, findings: analyze(topology) };
    } catch (err) {
      return { ok: false, error: asCodedError(err).message };
    }
  }

  return (entry, { fresh } = {}) => {
    if (fresh) return scanNow(entry);
    const running = inFlight.get(entry.name);
    if (running) return running;
    const p = scanNow(entry).finally(() => inFlight.delete(entry.name));
    inFlight.set(entry.name, p);
    return p;
  };
}
