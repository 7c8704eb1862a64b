/** The control Redis for CLI verbs that read plans and the audit (`timeline`, `audit`): CONTROL_REDIS_URL. */
import { Redis } from 'ioredis';
import type { CliIo } from './status.ts';

/** A connection that fails fast (no retries), or an error line when CONTROL_REDIS_URL is unset. */
export function openControl(io: CliIo): Redis | string {
  const url = io.env.CONTROL_REDIS_URL;
  if (!url) return 'CONTROL_REDIS_URL is unset: the plans and the audit live in the control Redis';
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
}

/** `7d`, `12h`, `30m`, `45s` → milliseconds; undefined when unreadable. */
export function parseSince(v: string): number | undefined {
  const m = /^(\d{1,6})([dhms])$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return Number(m[1]) * unit;
}
