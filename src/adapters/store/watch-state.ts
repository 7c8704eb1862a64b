import type { Redis } from 'ioredis';
import type { ClusterWatchState, IncidentState, WatchStore } from '../../app/watch/ports.ts';
import { createLeases } from './leases.ts';

/** Where the watcher keeps a cluster's state in the control Redis (the Alertmanager intake shares it). */
export const watchStateKey = (prefix: string, cluster: string) => `${prefix}:watch:state:${cluster}`;

/** The one watch lease of all bot replicas. */
export const watchLeaseKey = (prefix: string) => `${prefix}:watch:lease`;

/** The watcher's state as JSON per cluster, and its lease, on a control-Redis connection the caller owns. */
export function createWatchStateStore(redis: Redis, prefix: string): WatchStore {
  const leases = createLeases(redis);
  const leaseKey = watchLeaseKey(prefix);

  async function load(cluster: string): Promise<ClusterWatchState> {
    const raw = await redis.get(watchStateKey(prefix, cluster));
    return raw ? (JSON.parse(raw) as ClusterWatchState) : {};
  }
  async function save(cluster: string, state: ClusterWatchState): Promise<void> {
    await redis.set(watchStateKey(prefix, cluster), JSON.stringify(state));
  }

  return {
    holdLease: (owner, ttlMs) => leases.hold(leaseKey, owner, ttlMs),
    renewLease: (owner, ttlMs) => leases.renew(leaseKey, owner, ttlMs),
    async releaseLease(owner) {
      await leases.release(leaseKey, owner);
    },
    load,
    save,
    async setIncident(cluster: string, incident: IncidentState | undefined) {
      const state = await load(cluster);
      if (incident) state.incident = incident;
      else delete state.incident;
      await save(cluster, state);
    },
  };
}
