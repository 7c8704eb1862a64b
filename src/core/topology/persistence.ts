import type { PersistenceInfo } from '../types.ts';

/**
 * Why a master whose data sits on an emptyDir loses it on a pod restart, even with AOF or RDB on
 * (write-up 004, part 1). Shared by the cluster and the master/replica analyzers.
 */
export function emptyDirRisk(p: PersistenceInfo | undefined, dir = '/data'): string {
  if (p?.aofEnabled) return `AOF is on, but ${dir} is an emptyDir`;
  if (p?.saveConfig) return `RDB snapshots are on (save "${p.saveConfig}"), but ${dir} is an emptyDir`;
  return `${dir} is an emptyDir`;
}
