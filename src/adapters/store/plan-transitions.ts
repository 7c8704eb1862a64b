import type { Redis } from 'ioredis';
import type { PlanRecord, PlanStore, TransitionRefusal, TransitionResult } from '../../core/plan-record.ts';
import { recordFromHash } from './plan-hash.ts';
import type { StoreKeys } from './plan-keys.ts';
import {
  APPROVE,
  CANCEL,
  EXPIRE,
  FINISH,
  RECORD_STEP,
  REJECT,
  REQUEST_CANCEL,
  TRANSITION,
} from './plan-scripts.ts';

/** The status changes of a plan record, each one Lua script (plan-scripts.ts). */
export type PlanTransitions = Pick<
  PlanStore,
  | 'approve'
  | 'reject'
  | 'cancel'
  | 'requestCancel'
  | 'expireDue'
  | 'markQueued'
  | 'markRunning'
  | 'recordStep'
  | 'finish'
>;

/** A plan record by id, or null. */
export async function getPlan(redis: Redis, keys: StoreKeys, id: string): Promise<PlanRecord | null> {
  return recordFromHash(await redis.hgetall(keys.plan(id)));
}

/** The transitions on a control-Redis connection the caller owns. */
export function createPlanTransitions(redis: Redis, keys: StoreKeys): PlanTransitions {
  async function run(script: string, keyList: string[], args: (string | number)[]): Promise<string[]> {
    return (await redis.eval(script, keyList.length, ...keyList, ...args)) as string[];
  }

  async function result(reply: string[], id: string): Promise<TransitionResult> {
    const record = await getPlan(redis, keys, id);
    if (reply[0] === 'OK' && record) return { ok: true, record };
    return { ok: false, code: (reply[0] === 'OK' ? 'NOT_FOUND' : reply[0]) as TransitionRefusal, record };
  }

  async function clusterOf(id: string): Promise<string> {
    return (await redis.hget(keys.plan(id), 'cluster')) ?? '';
  }

  return {
    async approve(id, user, now, sig) {
      return result(await run(APPROVE, [keys.plan(id), keys.open], [id, user, now, sig ?? '']), id);
    },

    async reject(id, user, now) {
      return result(await run(REJECT, [keys.plan(id), keys.open], [id, user, now]), id);
    },

    async cancel(id, user, now) {
      const cluster = await clusterOf(id);
      const touched = [keys.plan(id), keys.open, keys.lock(cluster), keys.waiters(cluster)];
      return result(await run(CANCEL, touched, [id, user, now]), id);
    },

    async requestCancel(id, user, now) {
      return result(await run(REQUEST_CANCEL, [keys.plan(id)], [user, now]), id);
    },

    async expireDue(now) {
      const due = await redis.zrangebyscore(keys.open, 0, now);
      const expired: string[] = [];
      for (const id of due) {
        const reply = await run(EXPIRE, [keys.plan(id), keys.open], [id, now]);
        if (reply[0] === 'OK') expired.push(id);
        else if (reply[0] === 'NOT_FOUND' || reply[1] !== 'proposed') await redis.zrem(keys.open, id);
      }
      return expired;
    },

    async markQueued(id, now) {
      return result(await run(TRANSITION, [keys.plan(id)], ['approved', 'queued', now]), id);
    },

    async markRunning(id, now) {
      return result(await run(TRANSITION, [keys.plan(id)], ['approved,queued,running', 'running', now]), id);
    },

    async recordStep(id, outcome, now) {
      const reply = await run(RECORD_STEP, [keys.plan(id)], [JSON.stringify(outcome), outcome.index, now]);
      if (reply[0] !== 'OK') return null;
      return getPlan(redis, keys, id);
    },

    async finish(id, res) {
      const cluster = await clusterOf(id);
      const reply = await run(
        FINISH,
        [keys.plan(id), keys.open, keys.lock(cluster)],
        [id, res.status, JSON.stringify(res), res.finishedAt],
      );
      if (reply[0] === 'OK' && cluster) await redis.zrem(keys.waiters(cluster), id);
      return result(reply, id);
    },
  };
}
