/** Per-user sliding-window limit on what costs a cluster scan (status, diagnose, plans): in this process. */
import { type Clock, systemClock } from '../core/ports.ts';

export interface RateLimiter {
  /** Takes one unit for `key`; `ok: false` with the wait when the window is full. */
  take(key: string): { ok: true } | { ok: false; retryInMs: number };
}

/** `perMinute` 0: no limit. */
export function createRateLimiter(
  perMinute: number,
  clock: Clock = systemClock,
  windowMs = 60_000,
): RateLimiter {
  const hits = new Map<string, number[]>();
  return {
    take(key) {
      if (perMinute <= 0) return { ok: true };
      const now = clock.now();
      const recent = (hits.get(key) ?? []).filter((t) => now - t < windowMs);
      if (recent.length >= perMinute) {
        hits.set(key, recent);
        return { ok: false, retryInMs: windowMs - (now - (recent[0] ?? now)) };
      }
      recent.push(now);
      hits.set(key, recent);
      // Forget quiet users now and then, so the map does not grow with every user ever seen.
      if (hits.size > 10_000)
        for (const [k, v] of hits) if (v.every((t) => now - t >= windowMs)) hits.delete(k);
      return { ok: true };
    },
  };
}
