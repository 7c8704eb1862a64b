import type { Redis } from 'ioredis';
import type { ListPlansQuery, PlanRecord } from '../../core/plan-record.ts';
import { recordFromHash } from './plan-hash.ts';
import type { StoreKeys } from './plan-keys.ts';

/** Plans most recent first, of one cluster or all, filtered by status; drops index entries of expired records. */
export async function listPlans(
  redis: Redis,
  keys: StoreKeys,
  q: ListPlansQuery = {},
): Promise<PlanRecord[]> {
  const limit = q.limit ?? 20;
  const statuses = q.status === undefined ? null : Array.isArray(q.status) ? q.status : [q.status];
  const index = q.cluster ? keys.cluster(q.cluster) : keys.all;
  const out: PlanRecord[] = [];
  const page = statuses ? 100 : limit;
  for (let start = 0; out.length < limit && start < 2000; start += page) {
    const ids = await redis.zrevrange(index, start, start + page - 1);
    if (ids.length === 0) break;
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hgetall(keys.plan(id));
    const replies = (await pipe.exec()) ?? [];
    const stale: string[] = [];
    replies.forEach(([err, h], i) => {
      const rec = err ? null : recordFromHash(h as Record<string, string>);
      if (!rec) {
        stale.push(ids[i] as string);
        return;
      }
      if (statuses && !statuses.includes(rec.status)) return;
      if (out.length < limit) out.push(rec);
    });
    // Records past their retention are gone: drop their index entries.
    if (stale.length) await redis.zrem(index, ...stale);
    if (ids.length < page) break;
  }
  return out;
}
