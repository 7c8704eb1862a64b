import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, stripSecrets } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { makePlan, randomPrefix, takeoverStep } from '../support/plan-fixtures.ts';
import { useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
let redis: Redis;

beforeAll(() => {
  redis = new Redis(control.current.url);
});
afterAll(async () => {
  await redis.quit();
});

describe('plan store', () => {
  it('creates a proposed plan and reads it back, plan intact', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    const plan = makePlan({ cluster: 'alpha' });
    const rec = await store.create(plan, { chatRef: { channel: 'C1', ts: '1.2' } });
    expect(rec.status).toBe('proposed');
    expect(rec.plan).toEqual(plan);
    expect(rec.approvals).toEqual([]);
    expect(rec.progress).toEqual({ nextStep: 0, outcomes: [] });
    expect(rec.chatRef).toEqual({ channel: 'C1', ts: '1.2' });
    await expect(store.create(plan)).rejects.toThrow(/already exists/);
    await store.setChatRef(plan.id, { channel: 'C1', ts: '1.2', threadTs: '1.2', progressTs: '1.3' });
    expect((await store.get(plan.id))?.chatRef?.progressTs).toBe('1.3');
  });

  it('refuses plan ids that BullMQ cannot take', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    await expect(store.create(makePlan({ id: 'a:b' }))).rejects.toThrow(/plan id/);
    await expect(store.create(makePlan({ id: '12345' }))).rejects.toThrow(/plan id/);
  });

  describe('when ten approvers approve at once', () => {
    it('lets exactly one approval win', async () => {
      const store = createPlanStore(redis, { prefix: randomPrefix() });
      const plan = makePlan();
      await store.create(plan);
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.approve(plan.id, `U${i}`, now)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'BAD_STATE')).toBe(true);
      const rec = await store.get(plan.id);
      expect(rec?.status).toBe('approved');
      expect(rec?.approvals).toHaveLength(1);
    });
  });

  describe('when an approval races a rejection', () => {
    it('lets only one of them win', async () => {
      const store = createPlanStore(redis, { prefix: randomPrefix() });
      for (let i = 0; i < 10; i++) {
        const plan = makePlan();
        await store.create(plan);
        const now = Date.now();
        const [a, r] = await Promise.all([
          store.approve(plan.id, 'UA', now),
          store.reject(plan.id, 'UB', now),
        ]);
        expect(Number(a.ok) + Number(r.ok)).toBe(1);
        const rec = await store.get(plan.id);
        expect(rec?.status).toBe(a.ok ? 'approved' : 'rejected');
      }
    });
  });

  describe('when the clock is past the expiry', () => {
    it('expires the plan inside the approval itself', async () => {
      const store = createPlanStore(redis, { prefix: randomPrefix() });
      const plan = makePlan({ createdAt: 1000, expiresAt: 2000 });
      await store.create(plan);
      const r = await store.approve(plan.id, 'UA', 2000);
      expect(r).toMatchObject({ ok: false, code: 'EXPIRED' });
      expect((await store.get(plan.id))?.status).toBe('expired');
      expect(await store.approve(plan.id, 'UA', 1500)).toMatchObject({ ok: false, code: 'BAD_STATE' });
    });

    it('expireDue sweeps every overdue proposed plan and only those', async () => {
      const store = createPlanStore(redis, { prefix: randomPrefix() });
      const old = makePlan({ createdAt: 1000, expiresAt: 2000 });
      const fresh = makePlan({ createdAt: 1000, expiresAt: 9000 });
      await store.create(old);
      await store.create(fresh);
      expect(await store.expireDue(5000)).toEqual([old.id]);
      expect((await store.get(fresh.id))?.status).toBe('proposed');
    });
  });

  describe('when a plan needs two approvers', () => {
    it('stays proposed after the first and refuses the same approver twice', async () => {
      const store = createPlanStore(redis, { prefix: randomPrefix() });
      const plan = makePlan({ steps: [takeoverStep()] });
      const created = await store.create(plan);
      expect(created.approvalsNeeded).toBe(2);
      const now = Date.now();
      const first = await store.approve(plan.id, 'UA', now);
      expect(first.ok && first.record.status).toBe('proposed');
      expect(await store.approve(plan.id, 'UA', now)).toMatchObject({
        ok: false,
        code: 'DUPLICATE_APPROVER',
      });
      const second = await store.approve(plan.id, 'UB', now);
      expect(second.ok && second.record.status).toBe('approved');
      expect(second.ok && second.record.approvals.map((a) => a.user)).toEqual(['UA', 'UB']);
    });
  });

  it('walks approved → queued → running, records steps, finishes and frees the cluster', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    const plan = makePlan({ cluster: 'beta' });
    await store.create(plan);
    await store.approve(plan.id, 'UA', Date.now());
    expect((await store.markQueued(plan.id, Date.now())).ok).toBe(true);
    expect(await store.acquireClusterLock('beta', plan.id, 60_000)).toEqual({ ok: true });
    const other = makePlan({ cluster: 'beta' });
    await store.create(other);
    await store.approve(other.id, 'UA', Date.now());
    expect(await store.acquireClusterLock('beta', other.id, 60_000)).toEqual({ ok: false, holder: plan.id });
    expect((await store.markRunning(plan.id, Date.now())).ok).toBe(true);
    const rec = await store.recordStep(
      plan.id,
      { index: 0, outcome: 'done', ms: 12, detail: 'forgot it' },
      1,
    );
    expect(rec?.progress).toEqual({
      nextStep: 1,
      outcomes: [{ index: 0, outcome: 'done', ms: 12, detail: 'forgot it' }],
    });
    const fin = await store.finish(plan.id, { status: 'succeeded', detail: 'ok', finishedAt: 5 });
    expect(fin.ok && fin.record.result).toEqual({ status: 'succeeded', detail: 'ok', finishedAt: 5 });
    expect(await store.clusterLockHolder('beta')).toBeNull();
    expect(await store.acquireClusterLock('beta', other.id, 60_000)).toEqual({ ok: true });
    // A finished plan records nothing more and cannot be finished twice.
    expect(await store.recordStep(plan.id, { index: 1, outcome: 'done', ms: 1, detail: '' }, 6)).toBeNull();
    expect((await store.finish(plan.id, { status: 'failed', detail: 'x', finishedAt: 7 })).ok).toBe(false);
  });

  it('takes over a cluster lock whose holder has finished', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    const a = makePlan({ cluster: 'gamma' });
    const b = makePlan({ cluster: 'gamma' });
    await store.create(a);
    await store.create(b);
    await store.acquireClusterLock('gamma', a.id, 60_000);
    await store.reject(a.id, 'UX', Date.now());
    expect(await store.acquireClusterLock('gamma', b.id, 60_000)).toEqual({ ok: true });
  });

  it('lists plans by cluster and status, newest first', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    const t = Date.now();
    const p1 = makePlan({ cluster: 'x', createdAt: t });
    const p2 = makePlan({ cluster: 'y', createdAt: t + 1 });
    const p3 = makePlan({ cluster: 'x', createdAt: t + 2 });
    for (const p of [p1, p2, p3]) await store.create(p);
    await store.reject(p3.id, 'UA', t);
    expect((await store.list()).map((r) => r.plan.id)).toEqual([p3.id, p2.id, p1.id]);
    expect((await store.list({ cluster: 'x' })).map((r) => r.plan.id)).toEqual([p3.id, p1.id]);
    expect((await store.list({ status: 'proposed' })).map((r) => r.plan.id)).toEqual([p2.id, p1.id]);
    expect((await store.list({ cluster: 'x', status: ['rejected'] })).map((r) => r.plan.id)).toEqual([p3.id]);
    expect(await store.list({ limit: 1 })).toHaveLength(1);
  });

  it('cancels a queued plan but not a running one', async () => {
    const store = createPlanStore(redis, { prefix: randomPrefix() });
    const a = makePlan();
    const b = makePlan();
    for (const p of [a, b]) {
      await store.create(p);
      await store.approve(p.id, 'UA', Date.now());
    }
    await store.markQueued(a.id, Date.now());
    const c = await store.cancel(a.id, 'UA', Date.now());
    expect(c.ok && c.record).toMatchObject({ status: 'cancelled', cancelledBy: 'UA' });
    await store.markRunning(b.id, Date.now());
    expect(await store.cancel(b.id, 'UA', Date.now())).toMatchObject({ ok: false, code: 'BAD_STATE' });
  });
});

describe('audit stream', () => {
  it('keeps who, what, when, cluster, plan, outcome and detail; last(n) and forPlan', async () => {
    const audit = createAuditLog(redis, { prefix: randomPrefix() });
    await audit.record({ who: 'U1', what: 'command', cluster: 'c1', detail: '/redis status' });
    await audit.record({ who: 'U1', what: 'proposed', cluster: 'c1', plan: 'p-1', outcome: 'proposed' });
    await audit.record({ who: 'U2', what: 'approval', cluster: 'c1', plan: 'p-1', outcome: 'approved' });
    await audit.record({ who: 'U3', what: 'proposed', cluster: 'c1', plan: 'p-2', outcome: 'proposed' });
    const last = await audit.last(2);
    expect(last.map((e) => e.who)).toEqual(['U2', 'U3']);
    expect(last[0]).toMatchObject({ what: 'approval', cluster: 'c1', plan: 'p-1', outcome: 'approved' });
    expect(typeof last[0]?.at).toBe('number');
    expect((await audit.forPlan('p-1')).map((e) => e.what)).toEqual(['proposed', 'approval']);
  });

  it('never stores secrets', async () => {
    const audit = createAuditLog(redis, { prefix: randomPrefix() });
    await audit.record({
      who: 'U1',
      what: 'command',
      detail:
        'CONFIG SET requirepass hunter2 password=s3cret token: xoxb-123-abc redis://bob:pa55@h:6379 AUTH admin pw1',
    });
    const [e] = await audit.last(1);
    for (const secret of ['hunter2', 's3cret', 'xoxb-123', 'pa55', 'pw1'])
      expect(e?.detail).not.toContain(secret);
    expect(stripSecrets('forget 127.0.0.1:7001 node abcdef')).toBe('forget 127.0.0.1:7001 node abcdef');
  });

  it('trims entries by age, not by count', async () => {
    let now = Date.now();
    const clock = { now: () => now };
    const audit = createAuditLog(redis, { prefix: randomPrefix(), maxAgeMs: 60_000, clock });
    for (let i = 0; i < 5; i++) await audit.record({ who: `U${i}`, what: 'command' });
    now += 120_000; // two minutes later, in our clock: the first five are older than the cap
    await audit.record({ who: 'late', what: 'command' });
    await audit.trim();
    expect((await audit.last(10)).map((e) => e.who)).toEqual(['late']);
  });
});
