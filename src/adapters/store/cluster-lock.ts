import type { Redis } from 'ioredis';
import type { ClusterLocks } from '../../core/plan-record.ts';
import { createLeases } from './leases.ts';
import type { StoreKeys } from './plan-keys.ts';

export type { ClusterLocks };

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
