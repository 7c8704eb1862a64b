import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AlertGroupRecord, AlertGroupStore } from '../../app/alerts/ports.ts';

/** How long an alert group is remembered after its last notification. */
const GROUP_TTL_S = 7 * 24 * 3600;

/** Alert groups as JSON in the control Redis, keyed by a hash of Alertmanager's groupKey. */
export function createAlertGroupStore(redis: Redis, prefix: string): AlertGroupStore {
  const groupKey = (k: string) =>
    `${prefix}:alerts:group:${createHash('sha256').update(k).digest('hex').slice(0, 32)}`;
  return {
    async load(k) {
      const raw = await redis.get(groupKey(k));
      return raw ? (JSON.parse(raw) as AlertGroupRecord) : undefined;
    },
    async save(k, g) {
      await redis.set(groupKey(k), JSON.stringify(g), 'EX', GROUP_TTL_S);
    },
  };
}
