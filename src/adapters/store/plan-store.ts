import type { Redis } from 'ioredis';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { isPlanId } from '../../core/plan-id.ts';
import type {
  ChatRef,
  ListPlansQuery,
  PlanRecord,
  PlanResult,
  PlanStatus,
  PlanStore,
  StepOutcomeRecord,
  TransitionRefusal,
  TransitionResult,
} from '../../core/plan-record.ts';
import { needsTwoApprovers } from '../../core/plans/plan.ts';
import type { Plan } from '../../core/types.ts';

/**
 * Plan records in the control Redis. One hash per plan (`<prefix>:plan:<id>`); the plan itself is stored as
 * JSON and never touched by Lua. Every status change is one Lua script, so two approvals, an approval and a
 * rejection, or an approval and an expiry can never both win.
 *
 * Keys: `<p>:plan:<id>` hash, `<p>:plans` and `<p>:plans:cluster:<name>` zsets by createdAt, `<p>:open` zset of
 * proposed plans by expiresAt, `<p>:lock:<cluster>` the plan that owns the cluster (see acquireClusterLock).
 */
export interface ControlPlanStore extends PlanStore {
  /**
   * Makes `planId` the one plan that may act on `cluster`. Succeeds when the lock is free, already held by
   * this plan (a worker resuming it), or held by a plan that has finished. Otherwise returns the holder.
   */
  acquireClusterLock(
    cluster: string,
    planId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** Extends the lock while the plan runs; false when this plan no longer holds it. */
  renewClusterLock(cluster: string, planId: string, ttlMs: number): Promise<boolean>;
  releaseClusterLock(cluster: string, planId: string): Promise<boolean>;
  clusterLockHolder(cluster: string): Promise<string | null>;
  /** Who asked to cancel this running plan, if anyone (cheap: one HGET, polled by the worker). */
  cancelRequestedBy(id: string): Promise<string | null>;
  /** Plans waiting for the cluster lock (their jobs are delayed). */
  addWaiter(cluster: string, planId: string, now: number): Promise<void>;
  removeWaiter(cluster: string, planId: string): Promise<void>;
  waiters(cluster: string): Promise<string[]>;
  keys: StoreKeys;
}

export interface StoreKeys {
  prefix: string;
  plan(id: string): string;
  all: string;
  cluster(name: string): string;
  open: string;
  lock(cluster: string): string;
  waiters(cluster: string): string;
}

export function storeKeys(prefix = 'medic'): StoreKeys {
  return {
    prefix,
    plan: (id) => `${prefix}:plan:${id}`,
    all: `${prefix}:plans`,
    cluster: (name) => `${prefix}:plans:cluster:${name}`,
    open: `${prefix}:open`,
    lock: (cluster) => `${prefix}:lock:${cluster}`,
    waiters: (cluster) => `${prefix}:waiters:${cluster}`,
  };
}

/** Steps that need two different approvers whatever the planner said. */
export function approvalsNeededFor(plan: Plan): 1 | 2 {
  return plan.steps.some(needsTwoApprovers) || plan.approvalsNeeded === 2 ? 2 : 1;
}

/** Lua prelude of a vote: the plan exists, is still proposed, and has not expired (expiring it if due). */
const PROPOSED_AND_FRESH = `
local k, open = KEYS[1], KEYS[2]
local id, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' then return {'BAD_STATE', status} end
if now >= tonumber(redis.call('HGET', k, 'expiresAt')) then
  redis.call('HSET', k, 'status', 'expired', 'updatedAt', now)
  redis.call('ZREM', open, id)
  return {'EXPIRED'}
end
`;

const APPROVE = `${PROPOSED_AND_FRESH}local raw = redis.call('HGET', k, 'approvals')
local approvals = {}
if raw and raw ~= '' and raw ~= '{}' then approvals = cjson.decode(raw) end
for _, a in ipairs(approvals) do
  if a.user == user then return {'DUPLICATE_APPROVER'} end
end
local sig = ARGV[4]
if sig == nil or sig == '' then sig = nil end
table.insert(approvals, { user = user, at = now, sig = sig })
local needed = tonumber(redis.call('HGET', k, 'approvalsNeeded'))
local newStatus = 'proposed'
if #approvals >= needed then
  newStatus = 'approved'
  redis.call('ZREM', open, id)
end
redis.call('HSET', k, 'approvals', cjson.encode(approvals), 'status', newStatus, 'updatedAt', now)
return {'OK', newStatus}
`;

const REJECT = `${PROPOSED_AND_FRESH}redis.call('HSET', k, 'status', 'rejected', 'rejectedBy', user, 'updatedAt', now)
redis.call('ZREM', open, id)
return {'OK', 'rejected'}
`;

const CANCEL = `
local k, open, lock, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' and status ~= 'approved' and status ~= 'queued' then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', 'cancelled', 'cancelledBy', user, 'updatedAt', now,
  'result', cjson.encode({ status = 'cancelled', detail = 'cancelled by ' .. user, finishedAt = now }))
redis.call('HDEL', k, 'waitingBehind')
redis.call('ZREM', open, id)
redis.call('ZREM', waiters, id)
if redis.call('GET', lock) == id then redis.call('DEL', lock) end
return {'OK', 'cancelled'}
`;

const EXPIRE = `
local k, open = KEYS[1], KEYS[2]
local id, now = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' then return {'BAD_STATE', status} end
if now < tonumber(redis.call('HGET', k, 'expiresAt')) then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', 'expired', 'updatedAt', now)
redis.call('ZREM', open, id)
return {'OK', 'expired'}
`;

const REQUEST_CANCEL = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'running' then return {'BAD_STATE', status} end
redis.call('HSETNX', k, 'cancelRequestedBy', ARGV[1])
redis.call('HSET', k, 'updatedAt', ARGV[2])
return {'OK', status}
`;

// ARGV: fromCsv, to, now
const TRANSITION = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == status then allowed = true end end
if not allowed then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', ARGV[2], 'updatedAt', ARGV[3])
if ARGV[2] == 'running' then redis.call('HDEL', k, 'waitingBehind') end
return {'OK', ARGV[2]}
`;

// ARGV: id, status, resultJson, now
const FINISH = `
local k, open, lock = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'approved' and status ~= 'queued' and status ~= 'running' then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', ARGV[2], 'result', ARGV[3], 'updatedAt', ARGV[4])
redis.call('HDEL', k, 'waitingBehind')
if ARGV[2] == 'cancelled' then
  local by = redis.call('HGET', k, 'cancelRequestedBy')
  if by then redis.call('HSET', k, 'cancelledBy', by) end
end
redis.call('ZREM', open, id)
if redis.call('GET', lock) == id then redis.call('DEL', lock) end
return {'OK', ARGV[2]}
`;

// ARGV: outcomeJson, index, now. Only while the plan runs; a step recorded twice keeps the last outcome.
const RECORD_STEP = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'running' then return {'BAD_STATE', status} end
local progress = cjson.decode(redis.call('HGET', k, 'progress'))
local outcomes = {}
if type(progress.outcomes) == 'table' then
  for _, o in ipairs(progress.outcomes) do
    if o.index ~= tonumber(ARGV[2]) then table.insert(outcomes, o) end
  end
end
table.insert(outcomes, cjson.decode(ARGV[1]))
local nextStep = tonumber(progress.nextStep) or 0
if tonumber(ARGV[2]) + 1 > nextStep then nextStep = tonumber(ARGV[2]) + 1 end
redis.call('HSET', k, 'progress', cjson.encode({ nextStep = nextStep, outcomes = outcomes }), 'updatedAt', ARGV[3])
return {'OK', status}
`;

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

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Plan ids become BullMQ job ids and key parts: no `:`, not all digits. */
export function assertPlanId(id: string): void {
  if (!isPlanId(id))
    throw new CodedError(
      ErrorCodes.BadTransition,
      `plan id "${id}" must be letters, digits, - _ . (not all digits)`,
    );
}

function parseJson<T>(raw: string | undefined, fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

/** cjson encodes an empty Lua table as `{}`: turn that back into []. */
function asArray<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function recordFromHash(h: Record<string, string>): PlanRecord | null {
  if (!h.plan) return null;
  const plan = JSON.parse(h.plan) as Plan;
  const progress = parseJson<{ nextStep?: number; outcomes?: unknown }>(h.progress, {});
  const rec: PlanRecord = {
    plan,
    status: h.status as PlanStatus,
    approvalsNeeded: h.approvalsNeeded === '2' ? 2 : 1,
    approvals: asArray(parseJson(h.approvals, [])),
    progress: {
      nextStep: Number(progress.nextStep ?? 0),
      outcomes: asArray<StepOutcomeRecord>(progress.outcomes).sort((a, b) => a.index - b.index),
    },
    updatedAt: Number(h.updatedAt ?? 0),
  };
  if (h.rejectedBy) rec.rejectedBy = h.rejectedBy;
  if (h.cancelledBy) rec.cancelledBy = h.cancelledBy;
  if (h.result) rec.result = parseJson<PlanResult | undefined>(h.result, undefined);
  if (h.chatRef) rec.chatRef = parseJson<ChatRef | undefined>(h.chatRef, undefined);
  if (h.waitingBehind) rec.waitingBehind = h.waitingBehind;
  if (h.cancelRequestedBy) rec.cancelRequestedBy = h.cancelRequestedBy;
  return rec;
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

  async function run(script: string, keyList: string[], args: (string | number)[]): Promise<string[]> {
    return (await redis.eval(script, keyList.length, ...keyList, ...args)) as string[];
  }

  async function get(id: string): Promise<PlanRecord | null> {
    return recordFromHash(await redis.hgetall(keys.plan(id)));
  }

  async function result(reply: string[], id: string): Promise<TransitionResult> {
    const record = await get(id);
    if (reply[0] === 'OK' && record) return { ok: true, record };
    return { ok: false, code: (reply[0] === 'OK' ? 'NOT_FOUND' : reply[0]) as TransitionRefusal, record };
  }

  async function clusterOf(id: string): Promise<string | null> {
    return redis.hget(keys.plan(id), 'cluster');
  }

  return {
    keys,

    async create(plan, o = {}) {
      assertPlanId(plan.id);
      const now = o.now ?? Date.now();
      const fields: Record<string, string | number> = {
        plan: JSON.stringify(plan),
        status: 'proposed',
        cluster: plan.cluster,
        requestedBy: plan.requestedBy,
        createdAt: plan.createdAt,
        expiresAt: plan.expiresAt,
        approvalsNeeded: approvalsNeededFor(plan),
        approvals: '[]',
        progress: JSON.stringify({ nextStep: 0, outcomes: [] }),
        updatedAt: now,
      };
      if (o.chatRef) fields.chatRef = JSON.stringify(o.chatRef);
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

    get,

    async list(q: ListPlansQuery = {}) {
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
    },

    async approve(id, user, now, sig) {
      return result(await run(APPROVE, [keys.plan(id), keys.open], [id, user, now, sig ?? '']), id);
    },

    async reject(id, user, now) {
      return result(await run(REJECT, [keys.plan(id), keys.open], [id, user, now]), id);
    },

    async cancel(id, user, now) {
      const cluster = (await clusterOf(id)) ?? '';
      return result(
        await run(
          CANCEL,
          [keys.plan(id), keys.open, keys.lock(cluster), keys.waiters(cluster)],
          [id, user, now],
        ),
        id,
      );
    },

    async requestCancel(id, user, now) {
      return result(await run(REQUEST_CANCEL, [keys.plan(id)], [user, now]), id);
    },

    async expire(id, now) {
      return result(await run(EXPIRE, [keys.plan(id), keys.open], [id, now]), id);
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
      return get(id);
    },

    async setWaiting(id, behind, now) {
      if (behind === null) await redis.hdel(keys.plan(id), 'waitingBehind');
      else await redis.hset(keys.plan(id), 'waitingBehind', behind, 'updatedAt', now);
    },

    async finish(id, res) {
      const cluster = (await clusterOf(id)) ?? '';
      const reply = await run(
        FINISH,
        [keys.plan(id), keys.open, keys.lock(cluster)],
        [id, res.status, JSON.stringify(res), res.finishedAt],
      );
      if (reply[0] === 'OK' && cluster) await redis.zrem(keys.waiters(cluster), id);
      return result(reply, id);
    },

    async setChatRef(id, ref) {
      const exists = await redis.exists(keys.plan(id));
      if (!exists) throw new CodedError(ErrorCodes.PlanNotFound, `no plan ${id}`);
      await redis.hset(keys.plan(id), 'chatRef', JSON.stringify(ref));
    },

    async acquireClusterLock(cluster, planId, ttlMs) {
      const holder = (await redis.eval(
        ACQUIRE,
        1,
        keys.lock(cluster),
        planId,
        ttlMs,
        `${keys.prefix}:plan:`,
      )) as string | null;
      return holder ? { ok: false, holder } : { ok: true };
    },

    async renewClusterLock(cluster, planId, ttlMs) {
      return (await redis.eval(RENEW, 1, keys.lock(cluster), planId, ttlMs)) === 1;
    },

    async releaseClusterLock(cluster, planId) {
      return (await redis.eval(RELEASE, 1, keys.lock(cluster), planId)) === 1;
    },

    async cancelRequestedBy(id) {
      return redis.hget(keys.plan(id), 'cancelRequestedBy');
    },

    async clusterLockHolder(cluster) {
      return redis.get(keys.lock(cluster));
    },

    async addWaiter(cluster, planId, now) {
      await redis.zadd(keys.waiters(cluster), 'NX', now, planId);
    },

    async removeWaiter(cluster, planId) {
      await redis.zrem(keys.waiters(cluster), planId);
    },

    async waiters(cluster) {
      return redis.zrange(keys.waiters(cluster), '0', '-1');
    },
  };
}
