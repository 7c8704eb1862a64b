import type { Addr, PodInfo, Probe } from '../types.ts';
import { DEFAULT_MAX_LAG_SECONDS, DEFAULT_MAX_OFFSET_GAP } from './analyze.ts';

/** A pod as the analysis reads it (restarts and age included: they tell a restarted pod). */
function podKey(p: PodInfo): string {
  return JSON.stringify(p);
}

/**
 * Everything of one scan's answers that the analysis reads, as one string: two scans with equal digests
 * give the same picture and the same findings (with the default thresholds), so a watcher can skip the
 * merge and the analysis. Left out: what moves on every scan and no finding reads as such — ping/pong
 * times, timings, key counts, offsets. Replication lag goes in as "over half the threshold" flags,
 * so a replica drifting towards a lag finding changes the digest before it gets there.
 * `shapeOf(addr)`: the address's `CLUSTER NODES` without ping/pong (parse-cache.ts).
 */
export function readDigest(
  probes: readonly Probe[],
  shapeOf: (addr: Addr) => string | undefined,
  pods?: readonly PodInfo[],
  podError?: string,
): string {
  const masterOffset = new Map<string, number>();
  for (const p of probes) {
    if (p.replication?.role === 'master') masterOffset.set(p.addr, p.replication.masterReplOffset);
  }
  const parts: string[] = [];
  for (const p of [...probes].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0))) {
    const i = p.info;
    const r = p.replication;
    const s = p.persistence;
    let lagging = '';
    if (r?.role === 'master') {
      for (const l of r.replicas) {
        const far =
          l.lag * 2 > DEFAULT_MAX_LAG_SECONDS || (r.masterReplOffset - l.offset) * 2 > DEFAULT_MAX_OFFSET_GAP;
        lagging += `${l.ip}:${l.port}:${l.state}${far ? '!' : ''};`;
      }
    } else if (r && r.slaveReplOffset !== undefined) {
      const m = masterOffset.get(`${r.masterHost}:${r.masterPort}`);
      if (m !== undefined && (m - r.slaveReplOffset) * 2 > DEFAULT_MAX_OFFSET_GAP) lagging = '!';
    }
    parts.push(
      [
        p.addr,
        p.source,
        p.outcome,
        p.error ?? '',
        p.authFailed ? 'auth' : '',
        p.clusterEnabled,
        p.myId ?? '',
        p.nodes ? (shapeOf(p.addr) ?? JSON.stringify(p.nodes)) : '',
        i
          ? `${i.state},${i.slotsAssigned},${i.slotsOk},${i.slotsPfail},${i.slotsFail},${i.knownNodes},${i.size},${i.currentEpoch},${i.myEpoch}`
          : '',
        r
          ? `${r.role},${r.masterHost ?? ''},${r.masterPort ?? ''},${r.masterLinkStatus ?? ''},${r.masterSyncInProgress ?? ''},${r.connectedSlaves},${r.masterLinkDownSinceSeconds !== undefined && r.masterLinkDownSinceSeconds >= 0 ? 'down' : ''},${lagging}`
          : '',
        // Every field a newer finding might read, but the counter that moves with each write.
        s ? JSON.stringify({ ...s, rdbChangesSinceLastSave: undefined }) : '',
        p.keys === 0 ? 'empty' : '',
        p.sentinelSubscribers ?? '',
        p.pod ? podKey(p.pod) : '',
      ].join('|'),
    );
  }
  parts.push(pods ? pods.map(podKey).join(';') : '', podError ?? '');
  return parts.join('\n');
}
