/** The owner-lease on a plan's progress message, held in the control Redis. */
import type { Redis } from 'ioredis';
import { createLeases } from '../adapters/store/leases.ts';

/**
 * One bot process renders a plan's progress; another takes over if it stays silent for 2 minutes, or at once
 * when it stops cleanly (a rolling restart): `release` hands back what this process holds.
 */
export function planUpdateClaims(control: Redis, prefix: string, owner: string) {
  const leases = createLeases(control);
  const held = new Set<string>();
  const key = (planId: string) => `${prefix}:chat:owner:${planId}`;
  return {
    async claim(planId: string): Promise<boolean> {
      const mine = (await leases.hold(key(planId), owner, 120_000)) !== 'held-elsewhere';
      if (mine) held.add(planId);
      return mine;
    },
    async release(): Promise<void> {
      const ids = [...held];
      held.clear();
      await Promise.all(ids.map((id) => leases.release(key(id), owner).catch(() => false)));
    },
  };
}
