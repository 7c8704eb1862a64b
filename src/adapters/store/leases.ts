import type { Redis } from 'ioredis';

/** Renews `KEYS[1]` for its owner `ARGV[1]` by `ARGV[2]` ms: 1, or 0 when someone else holds it. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Renews the lease for its owner (1), else takes it when free (2), else 0. */
const HOLD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 2 end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What `hold` did: kept the lease it had, took a free one, or found it held by another owner. */
export type HoldOutcome = 'renewed' | 'acquired' | 'held-elsewhere';

/**
 * Owner leases in the control Redis: a key holding the owner's token with a TTL, changed only by its owner.
 * One implementation for the watcher's lease, the plan-message claims and the cluster locks of plans.
 */
export interface Leases {
  /** Takes the lease when nobody holds it. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Renews the lease `owner` holds, or takes it when free: one atomic step. */
  hold(key: string, owner: string, ttlMs: number): Promise<HoldOutcome>;
  /** Hands the lease back; false when `owner` did not hold it. */
  release(key: string, owner: string): Promise<boolean>;
  /** The owner holding the lease, or null. */
  holder(key: string): Promise<string | null>;
}

/** Leases on a control-Redis connection the caller owns. */
export function createLeases(redis: Redis): Leases {
  return {
    async acquire(key, owner, ttlMs) {
      return (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async renew(key, owner, ttlMs) {
      return (await redis.eval(RENEW, 1, key, owner, String(ttlMs))) === 1;
    },
    async hold(key, owner, ttlMs) {
      const reply = await redis.eval(HOLD, 1, key, owner, String(ttlMs));
      return reply === 1 ? 'renewed' : reply === 2 ? 'acquired' : 'held-elsewhere';
    },
    async release(key, owner) {
      return (await redis.eval(RELEASE, 1, key, owner)) === 1;
    },
    holder(key) {
      return redis.get(key);
    },
  };
}
