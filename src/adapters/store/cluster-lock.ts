import type { Redis } from 'ioredis';
import { createLeases } from './leases.ts';
import type { StoreKeys } from './plan-keys.ts';

// KEYS: lock; ARGV: planId, ttlMs, planKeyPrefix. A lock held by a finished plan is taken over.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  local hs = redis.call('HGET', ARGV[3] .. holder, 'status')
  if hs == 'proposed' or hs == 'approved' or hs == 'queued' or hs == 'running' then return holder end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/** The one plan that may act on a cluster (a lease whose owner is the plan id), and the plans waiting for it. */
export interface ClusterLocks {
  /**
   * Makes `planId` the one plan that may act on `cluster`. Succeeds when the lock is free, already held by
   * this plan (a worker resuming it), or held by a plan that has finished. Otherwise returns the holder.
   */
  acquireClusterLock(
    cluster: string,
    planId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** Extends the lock while the plan runs; false when this plan no longer holds it. */
  renewClusterLock(cluster: string, planId: string, ttlMs: number): Promise<boolean>;
  releaseClusterLock(cluster: string, planId: string): Promise<boolean>;
  clusterLockHolder(cluster: string): Promise<string | null>;
  /** Plans waiting for the cluster lock (their jobs are delayed). */
  addWaiter(cluster: string, planId: string, now: number): Promise<void>;
  removeWaiter(cluster: string, planId: string): Promise<void>;
  waiters(cluster: string): Promise<string[]>;
}

/** Cluster locks and their waiters in the control Redis. */
export function createClusterLocks(redis: Redis, keys: StoreKeys): ClusterLocks {
  const leases = createLeases(redis);
  return {
    async acquireClusterLock(cluster, planId, ttlMs) {
      const lock = keys.lock(cluster);
      const holder = (await redis.eval(ACQUIRE, 1, lock, planId, ttlMs, `${keys.prefix}:plan:`)) as
        | string
        | null;
      return holder ? { ok: false, holder } : { ok: true };
    },
    renewClusterLock: (cluster, planId, ttlMs) => leases.renew(keys.lock(cluster), planId, ttlMs),
    releaseClusterLock: (cluster, planId) => leases.release(keys.lock(cluster), planId),
    clusterLockHolder: (cluster) => leases.holder(keys.lock(cluster)),
    async addWaiter(cluster, planId, now) {
      await redis.zadd(keys.waiters(cluster), 'NX', now, planId);
    },
    async removeWaiter(cluster, planId) {
      await redis.zrem(keys.waiters(cluster), planId);
    },
    waiters: (cluster) => redis.zrange(keys.waiters(cluster), '0', '-1'),
  };
}
