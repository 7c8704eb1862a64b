import type { Redis } from 'ioredis';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { PlanStore } from '../../core/plan-record.ts';
import { type ClusterLocks, createClusterLocks } from './cluster-lock.ts';
import { assertPlanId, hashOfNewPlan } from './plan-hash.ts';
import { type StoreKeys, storeKeys } from './plan-keys.ts';
import { listPlans } from './plan-list.ts';
import { createPlanTransitions, getPlan } from './plan-transitions.ts';

/**
 * Plan records in the control Redis. One hash per plan (`<prefix>:plan:<id>`, keys in plan-keys.ts); the plan
 * itself is stored as JSON and never touched by Lua. Every status change is one Lua script (plan-scripts.ts),
 * so two approvals, an approval and a rejection, or an approval and an expiry can never both win.
 */
export interface ControlPlanStore extends PlanStore, ClusterLocks {
  /** Who asked to cancel this running plan, if anyone (cheap: one HGET, polled by the worker). */
  cancelRequestedBy(id: string): Promise<string | null>;
  keys: StoreKeys;
}

export interface PlanStoreOptions {
  /** Key prefix in the control Redis (default `medic`); tests use a random one. */
  prefix?: string;
  /** How long finished plans are kept (default 30 days). */
  retainMs?: number;
}

/** Builds the plan store on a control-Redis connection it does not own (the caller closes it). */
export function createPlanStore(redis: Redis, opts: PlanStoreOptions = {}): ControlPlanStore {
  const keys = storeKeys(opts.prefix);
  const retainMs = opts.retainMs ?? 30 * 24 * 3600_000;
  const get = (id: string) => getPlan(redis, keys, id);

  return {
    keys,
    ...createPlanTransitions(redis, keys),
    ...createClusterLocks(redis, keys),
    get,
    list: (q) => listPlans(redis, keys, q),

    async create(plan, o = {}) {
      assertPlanId(plan.id);
      const now = o.now ?? Date.now();
      const fields = hashOfNewPlan(plan, now, o.chatRef);
      const created = await redis.hsetnx(keys.plan(plan.id), 'plan', fields.plan as string);
      if (created !== 1) throw new CodedError(ErrorCodes.BadTransition, `plan ${plan.id} already exists`);
      await redis
        .multi()
        .hset(keys.plan(plan.id), fields)
        .pexpireat(keys.plan(plan.id), Math.max(plan.expiresAt, now) + retainMs)
        .zadd(keys.all, plan.createdAt, plan.id)
        .zadd(keys.cluster(plan.cluster), plan.createdAt, plan.id)
        .zadd(keys.open, plan.expiresAt, plan.id)
        .exec();
      const rec = await get(plan.id);
      if (!rec) throw new CodedError(ErrorCodes.PlanNotFound, `plan ${plan.id} vanished after create`);
      return rec;
    },

    async setWaiting(id, behind, now) {
      if (behind === null) await redis.hdel(keys.plan(id), 'waitingBehind');
      else await redis.hset(keys.plan(id), 'waitingBehind', behind, 'updatedAt', now);
    },

    async setChatRef(id, ref) {
      const exists = await redis.exists(keys.plan(id));
      if (!exists) throw new CodedError(ErrorCodes.PlanNotFound, `no plan ${id}`);
      await redis.hset(keys.plan(id), 'chatRef', JSON.stringify(ref));
    },

    async cancelRequestedBy(id) {
      return redis.hget(keys.plan(id), 'cancelRequestedBy');
    },
  };
}
