/**
 * The worker checks every approval rule again when it starts a plan (issue 16, point 1): an approver who
 * left the list, an approval written by hand into the control Redis, and a plan that waited too long are
 * refused with an audited reason, and nothing is run.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createApprovalService } from '../../src/app/approvals.ts';
import type { RunVerdict } from '../../src/app/run-check.ts';
import type { PlanRecord } from '../../src/core/plan-record.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import { waitUntil } from '../../src/sandbox/local-cluster.ts';
import { testRunCheck, testSealer } from '../support/approval-kit.ts';
import {
  approvalsFor,
  makePlan,
  planBackend,
  randomPrefix,
  startWorkerOn,
  useControlConnection,
} from '../support/plan-fixtures.ts';
import { useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
const db = useControlConnection(control);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** A backend, plus a worker whose run-time check is `check`; counts how often it got as far as the executor. */
async function setup(check: (r: PlanRecord) => Promise<RunVerdict>) {
  const prefix = randomPrefix();
  const b = planBackend(db.current, prefix);
  const events: ExecEvent[] = [];
  await b.bus.subscribe((e) => events.push(e));
  const conn = new Redis(control.current.url, { maxRetriesPerRequest: null });
  let executorBuilt = 0;
  const worker = startWorkerOn(
    conn,
    prefix,
    b,
    () => {
      executorBuilt += 1;
      throw new Error('the executor must not be reached');
    },
    { checkBeforeRun: check },
  );
  cleanups.push(async () => {
    await worker.close();
    await conn.quit();
    await b.queue.queue.obliterate({ force: true });
    await b.queue.close();
    await b.bus.close();
  });
  const ended = (id: string) =>
    waitUntil(
      async () => ['failed', 'succeeded', 'stale'].includes((await b.store.get(id))?.status ?? ''),
      20_000,
      'the worker to end the plan',
    );
  return { ...b, prefix, events, ended, executorBuilt: () => executorBuilt };
}

async function expectRefused(s: Awaited<ReturnType<typeof setup>>, planId: string, code: string) {
  await s.ended(planId);
  const rec = await s.store.get(planId);
  expect(rec?.status).toBe('failed');
  expect(rec?.result?.detail).toContain(`Refused before running (${code})`);
  expect(s.executorBuilt()).toBe(0);
  // The refused plan leaves the cluster free for the next one.
  expect(await s.store.clusterLockHolder('c1')).toBeNull();
  const trail = await s.audit.forPlan(planId);
  expect(trail.some((e) => e.who === 'worker' && e.what === 'refusal' && e.outcome === code)).toBe(true);
  // What the thread shows: the `finished` event carries the reason.
  await waitUntil(() => s.events.some((e) => e.plan === planId && e.kind === 'finished'), 5000, 'finished');
  const fin = s.events.find((e) => e.plan === planId && e.kind === 'finished');
  expect(fin?.status).toBe('failed');
  expect(fin?.detail).toContain(code);
}

describe('the worker re-checks approvals when a plan starts', () => {
  it('refuses a plan whose approver was removed from the approver set since approving', async () => {
    // The bot still lists UA; the worker's configuration (now) lists only UB.
    const s = await setup(testRunCheck(undefined, ['UB']));
    const plan = makePlan({ cluster: 'c1' });
    await s.store.create(plan);
    const approvals = approvalsFor(s, ['UA', 'UB']);
    expect(await approvals.approve(plan.id, 'UA')).toMatchObject({ ok: true, state: 'approved' });
    await expectRefused(s, plan.id, 'APPROVER_REMOVED');
  });

  it('refuses an approval record written by hand into the control Redis', async () => {
    const s = await setup(testRunCheck());
    const plan = makePlan({ cluster: 'c1' });
    await s.store.create(plan);
    // Whoever can write to the control Redis marks it approved by an approver, with no seal, then with a made-up one.
    await db.current.hset(s.store.keys.plan(plan.id), {
      status: 'approved',
      approvals: JSON.stringify([{ user: 'UA', at: Date.now(), sig: 'f'.repeat(64) }]),
    });
    const rec = await s.store.get(plan.id);
    await s.queue.enqueue(rec!);
    await expectRefused(s, plan.id, 'APPROVAL_FORGED');
  });

  it('refuses a genuine approval once the plan was changed after it', async () => {
    const s = await setup(testRunCheck());
    const plan = makePlan({ cluster: 'c1' });
    await s.store.create(plan);
    // Sealed by the approval service, but held back from the queue (approvalsFor would enqueue at once).
    await s.store.approve(
      plan.id,
      'UA',
      1000 + plan.createdAt,
      testSealer.seal({
        planId: plan.id,
        planHash: (await import('../../src/app/approval-seal.ts')).planHash(plan),
        user: 'UA',
        at: 1000 + plan.createdAt,
        cluster: plan.cluster,
      }),
    );
    const changed = { ...plan, steps: [{ ...plan.steps[0]!, sentence: 'Forget a healthy master' }] };
    await db.current.hset(s.store.keys.plan(plan.id), 'plan', JSON.stringify(changed));
    await s.queue.enqueue((await s.store.get(plan.id))!);
    await expectRefused(s, plan.id, 'APPROVAL_FORGED');
  });

  it('refuses an approved plan that waited longer than PLAN_MAX_QUEUED for a worker', async () => {
    const s = await setup(testRunCheck(undefined, undefined, 15 * 60_000));
    const plan = makePlan({
      cluster: 'c1',
      createdAt: Date.now() - 30 * 60_000,
      expiresAt: Date.now() + 60_000,
    });
    await s.store.create(plan);
    // Approved 20 minutes ago (the approval service's clock), no worker picked it up since.
    const approvedAt = Date.now() - 20 * 60_000;
    const late = createApprovalService({
      store: s.store,
      queue: s.queue,
      audit: s.audit,
      policy: { approvers: ['UA'], allowSelfApproval: false },
      sealer: testSealer,
      clock: { now: () => approvedAt },
    });
    expect(await late.approve(plan.id, 'UA')).toMatchObject({ ok: true, state: 'approved' });
    await expectRefused(s, plan.id, 'APPROVAL_TOO_OLD');
  });

  it('refuses a plan that needs two approvers and carries one, even if marked approved', async () => {
    const s = await setup(testRunCheck());
    const plan = makePlan({ cluster: 'c1', approvalsNeeded: 2 });
    await s.store.create(plan);
    await db.current.hset(s.store.keys.plan(plan.id), 'approvalsNeeded', '1');
    const approvals = approvalsFor(s, ['UA']);
    expect(await approvals.approve(plan.id, 'UA')).toMatchObject({ ok: true, state: 'approved' });
    await expectRefused(s, plan.id, 'APPROVAL_MISSING');
  });
});
