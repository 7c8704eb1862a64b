/** The owner-lease on a plan's progress message, held in the control Redis. */
import type { Redis } from 'ioredis';

const CLAIM = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One bot process renders a plan's progress; another takes over if it stays silent for 2 minutes, or at once
 * when it stops cleanly (a rolling restart): `release` hands back what this process holds.
 */
export function planUpdateClaims(control: Redis, prefix: string, owner: string) {
  const held = new Set<string>();
  const key = (planId: string) => `${prefix}:chat:owner:${planId}`;
  return {
    async claim(planId: string): Promise<boolean> {
      const mine = (await control.eval(CLAIM, 1, key(planId), owner, '120000')) === 1;
      if (mine) held.add(planId);
      return mine;
    },
    async release(): Promise<void> {
      const ids = [...held];
      held.clear();
      await Promise.all(ids.map((id) => control.eval(RELEASE, 1, key(id), owner).catch(() => 0)));
    },
  };
}
