import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type RedisEventBus } from '../../src/adapters/queue/event-bus.ts';
import { createPlanQueue, type PlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import type { PlanEvent } from '../../src/core/plan-record.ts';
import { makePlan, randomPrefix, takeoverStep } from '../support/plan-fixtures.ts';
import { useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
let redis: Redis;
const opened: { queue?: PlanQueue; bus?: RedisEventBus }[] = [];

beforeAll(() => {
  redis = new Redis(control.current.url, { maxRetriesPerRequest: null });
});
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.queue?.queue.obliterate({ force: true }).catch(() => {});
    await o.queue?.close();
    await o.bus?.close();
  }
});
afterAll(async () => {
  await redis.quit();
});

function setup(over: { now?: () => number; allowSelfApproval?: boolean } = {}) {
  const prefix = randomPrefix();
  const store = createPlanStore(redis, { prefix });
  const audit = createAuditLog(redis, { prefix });
  const queue = createPlanQueue({ connection: redis, prefix: planQueuePrefix(prefix) });
  const bus = createEventBus(redis, { prefix });
  opened.push({ queue, bus });
  const clock = { now: over.now ?? (() => Date.now()) };
  const service = createApprovalService({
    store,
    queue,
    audit,
    bus,
    clock,
    policy: { approvers: ['UA', 'UB', 'UC', 'UREQ'], allowSelfApproval: over.allowSelfApproval ?? false },
  });
  return { prefix, store, audit, queue, bus, service };
}

describe('approval guard on the control Redis', () => {
  it('approves, enqueues one job whose id is the plan id, and audits it', async () => {
    const { store, audit, queue, service } = setup();
    const plan = makePlan();
    await store.create(plan);
    const out = await service.approve(plan.id, 'UA');
    expect(out).toMatchObject({ ok: true, state: 'approved' });
    expect(out.ok && out.record.status).toBe('queued');
    expect(await queue.jobState(plan.id)).toBe('waiting');
    expect(await queue.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const trail = await audit.forPlan(plan.id);
    expect(trail.map((e) => [e.who, e.what, e.outcome])).toEqual([
      ['UA', 'approval', 'approved'],
      ['UA', 'queued', 'queued'],
    ]);
  });

  describe('when ten approvers press Approve at once', () => {
    it('queues the plan once and tells the nine others it was already approved', async () => {
      const { store, queue, service } = setup();
      const plan = makePlan();
      await store.create(plan);
      const users = ['UA', 'UB', 'UC', 'UA', 'UB', 'UC', 'UA', 'UB', 'UC', 'UA'];
      const outs = await Promise.all(users.map((u) => service.approve(plan.id, u)));
      expect(outs.filter((o) => o.ok)).toHaveLength(1);
      for (const o of outs.filter((x) => !x.ok)) expect(!o.ok && o.code).toBe('ALREADY_APPROVED');
      expect(await queue.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    });
  });

  describe('refusals', () => {
    it('refuses an expired plan, says when it expired, and audits the refusal', async () => {
      let now = Date.UTC(2026, 10, 22, 3, 0);
      const { store, audit, service } = setup({ now: () => now });
      const plan = makePlan({ createdAt: now, expiresAt: Date.UTC(2026, 10, 22, 3, 14) });
      await store.create(plan);
      now = Date.UTC(2026, 10, 22, 3, 20);
      const out = await service.approve(plan.id, 'UA');
      expect(out).toMatchObject({
        ok: false,
        code: 'EXPIRED',
        reason: 'This plan expired at 03:14 UTC — run /redis diagnose again',
      });
      expect((await store.get(plan.id))?.status).toBe('expired');
      const trail = await audit.forPlan(plan.id);
      expect(trail.some((e) => e.what === 'refusal' && e.outcome === 'EXPIRED' && e.who === 'UA')).toBe(true);
    });

    it('refuses a non-approver and a self-approver, each with its reason in the audit stream', async () => {
      const { store, audit, service } = setup();
      const plan = makePlan({ requestedBy: 'UREQ' });
      await store.create(plan);
      const stranger = await service.approve(plan.id, 'UX');
      expect(stranger).toMatchObject({ ok: false, code: 'NOT_APPROVER' });
      expect(!stranger.ok && stranger.reason).toMatch(/^You are not in APPROVERS — ask one of <@UA>/);
      const self = await service.approve(plan.id, 'UREQ');
      expect(self).toMatchObject({
        ok: false,
        code: 'SELF_APPROVAL',
        reason: 'You asked for this plan; another approver must approve it',
      });
      expect((await store.get(plan.id))?.status).toBe('proposed');
      const refusals = (await audit.forPlan(plan.id)).filter((e) => e.what === 'refusal');
      expect(refusals.map((e) => [e.who, e.outcome])).toEqual([
        ['UX', 'NOT_APPROVER'],
        ['UREQ', 'SELF_APPROVAL'],
      ]);
    });

    it('lets the requester approve when ALLOW_SELF_APPROVAL is on', async () => {
      const { store, service } = setup({ allowSelfApproval: true });
      const plan = makePlan({ requestedBy: 'UREQ' });
      await store.create(plan);
      expect(await service.approve(plan.id, 'UREQ')).toMatchObject({ ok: true, state: 'approved' });
    });

    it('holds a takeover plan after one approval, refuses the same approver again, runs after a second', async () => {
      const { store, audit, queue, bus, service } = setup();
      const events: PlanEvent[] = [];
      await bus.subscribePlan((e) => events.push(e));
      const plan = makePlan({ steps: [takeoverStep()], approvalsNeeded: 2 });
      await store.create(plan);
      const first = await service.approve(plan.id, 'UA');
      expect(first).toMatchObject({ ok: true, state: 'needs-second-approver' });
      expect(first.ok && first.message).toMatch(/waiting for a second approver/);
      expect(await queue.jobState(plan.id)).toBe('unknown');
      const again = await service.approve(plan.id, 'UA');
      expect(again).toMatchObject({ ok: false, code: 'ALREADY_APPROVED_BY_YOU' });
      const second = await service.approve(plan.id, 'UB');
      expect(second).toMatchObject({ ok: true, state: 'approved' });
      expect(await queue.jobState(plan.id)).toBe('waiting');
      const trail = await audit.forPlan(plan.id);
      expect(trail.filter((e) => e.what === 'refusal').map((e) => e.outcome)).toEqual([
        'ALREADY_APPROVED_BY_YOU',
      ]);
      await expect
        .poll(() => events.map((e) => e.kind))
        .toEqual(['approval-recorded', 'refused', 'approved', 'queued']);
    });
  });

  describe('rejection', () => {
    it('is for approvers only, and an approval after it is refused', async () => {
      const { store, audit, service } = setup();
      const plan = makePlan();
      await store.create(plan);
      expect(await service.reject(plan.id, 'UX')).toMatchObject({ ok: false, code: 'NOT_APPROVER' });
      expect(await service.reject(plan.id, 'UB')).toMatchObject({ ok: true });
      const late = await service.approve(plan.id, 'UA');
      expect(late).toMatchObject({ ok: false, code: 'REJECTED' });
      expect(!late.ok && late.reason).toMatch(/rejected by <@UB>/);
      const trail = await audit.forPlan(plan.id);
      expect(trail.map((e) => [e.who, e.what, e.outcome])).toEqual([
        ['UX', 'refusal', 'NOT_APPROVER'],
        ['UB', 'rejection', 'rejected'],
        ['UA', 'refusal', 'REJECTED'],
      ]);
    });

    it('when racing an approval, only one of them wins', async () => {
      const { store, service } = setup();
      for (let i = 0; i < 5; i++) {
        const plan = makePlan();
        await store.create(plan);
        const [a, r] = await Promise.all([service.approve(plan.id, 'UA'), service.reject(plan.id, 'UB')]);
        expect(Number(a.ok) + Number(r.ok)).toBe(1);
      }
    });
  });

  describe('cancel', () => {
    it('is for approvers and the requester; a queued plan is cancelled, others are refused', async () => {
      const { store, audit, service } = setup();
      const plan = makePlan({ requestedBy: 'UREQ' });
      await store.create(plan);
      expect(await service.cancel(plan.id, 'UX')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
      await service.approve(plan.id, 'UA');
      const c = await service.cancel(plan.id, 'UREQ');
      expect(c).toMatchObject({ ok: true });
      expect((await store.get(plan.id))?.status).toBe('cancelled');
      expect(await service.cancel(plan.id, 'UA')).toMatchObject({ ok: false, code: 'CANCELLED' });
      const trail = await audit.forPlan(plan.id);
      expect(trail.filter((e) => e.what === 'cancel').map((e) => e.who)).toEqual(['UREQ']);
    });
  });

  it('requeueOrphans puts an approved plan whose job was never added back on the queue, once', async () => {
    const { store, queue } = setup();
    const plan = makePlan();
    await store.create(plan);
    await store.approve(plan.id, 'UA', Date.now()); // approved, but the process "died" before enqueueing
    expect(await queue.jobState(plan.id)).toBe('unknown');
    expect(await queue.requeueOrphans(store)).toEqual([plan.id]);
    expect(await queue.jobState(plan.id)).toBe('waiting');
    expect(await queue.requeueOrphans(store)).toEqual([]);
  });

  it('expireDue expires overdue plans and publishes each', async () => {
    let now = 10_000;
    const { store, bus, service } = setup({ now: () => now });
    const events: PlanEvent[] = [];
    await bus.subscribePlan((e) => events.push(e));
    const plan = makePlan({ createdAt: 10_000, expiresAt: 20_000 });
    await store.create(plan);
    now = 30_000;
    expect(await service.expireDue()).toEqual([plan.id]);
    await expect.poll(() => events.map((e) => [e.plan, e.kind])).toEqual([[plan.id, 'expired']]);
  });
});
