/**
 * Issue 16 through Bolt's real HTTP receiver: clusters bound to channels, clicks honoured only on the plan's
 * own message, approvers by user group (re-resolved by the worker), per-user rate limits, replayed and
 * oversized requests refused, and signed but malformed button payloads that change nothing.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import { postToApp, slashCommandBody } from '../support/slack-signing.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import {
  answersFor,
  appEnv,
  latestText,
  SlackClientSim,
  startBackends,
  startTestApp,
  stopAll,
  waitForPlanEnd,
  waitForPlanMessage,
  writeClustersFile,
} from './support.ts';

const SECRET = 'e2e-signing-secret-security';
const PAYMENTS = 'C0PAYMENTS';
const SESSIONS = 'C0SESSIONS';
const ASKER = 'U0ONCALL';
const GROUPIE = 'U0GROUPIE';
const GROUP = 'S0ONCALL';
const STRANGER = 'U0STRANGER';

describe('Slack security (HTTP mode, ROLE=bot, then a worker)', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let bot: RunningApp;
  let worker: RunningApp | undefined;
  let sim: SlackClientSim;
  let events: string;
  const prefix = `e2e${randomBytes(4).toString('hex')}`;
  const env = (role: string) => {
    const file = writeClustersFile(
      cluster,
      (seeds) =>
        `clusters:\n  - name: payments\n    seeds: [${seeds}]\n    channels: [${PAYMENTS}]\n  - name: sessions\n    seeds: [${seeds}]\n    channels: [${SESSIONS}]\n`,
    );
    return appEnv({
      slack,
      mode: 'http',
      signingSecret: SECRET,
      controlUrl: control.url,
      seeds: cluster.addrs(),
      approvers: ['U0APPROVER', GROUP],
      extra: {
        ROLE: role,
        CLUSTERS_FILE: file,
        ALLOWED_CHANNELS: `${PAYMENTS},${SESSIONS}`,
        ALLOW_ALL_CHANNELS: 'false',
        RATE_LIMIT_PER_MINUTE: '3',
      },
    });
  };

  /** Everything `user` was told in answer to one request (response_url and ephemerals). */
  const told = (res: { responseUrl: string }, user: string, what: string) =>
    slack.waitFor(() => {
      const all = [
        ...answersFor(slack, res.responseUrl),
        ...slack.ephemerals.filter((e) => e.user === user && e.via === 'api').map((e) => e.text),
      ];
      return all.length ? all.join('\n') : undefined;
    }, what);

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends());
    slack.setUserGroup(GROUP, [GROUPIE]);
    bot = await startTestApp(env('bot'), { prefix, pickupWarnMs: 0 });
    events = `http://127.0.0.1:${bot.port}/slack/events`;
    sim = new SlackClientSim(slack, events, SECRET);
  });

  afterAll(async () => {
    await worker?.close();
    await stopAll(bot, { slack, control, cluster });
  });

  it('refuses `/redis diagnose payments` in a channel bound to another cluster, plainly, and scans nothing', async () => {
    const before = slack.messages.length;
    const res = await sim.command(ASKER, SESSIONS, 'diagnose payments');
    expect(res.status).toBe(200);
    expect(await told(res, ASKER, 'the refusal')).toContain('Cluster payments is not bound to this channel');
    expect(slack.messages.length).toBe(before);
    const trail = await bot.composed.audit.last(5);
    expect(trail.some((e) => e.outcome === 'cluster-not-bound' && e.who === ASKER)).toBe(true);
  });

  describe('a plan posted in its cluster’s channel', () => {
    let plan: StoredMessage;
    let planId: string;

    beforeAll(async () => {
      const replica = cluster.replicas()[0]!;
      const res = await sim.command(ASKER, PAYMENTS, `failover ${replica.addr} --cluster payments`);
      expect(res.status).toBe(200);
      ({ message: plan, planId } = await waitForPlanMessage(slack, PAYMENTS));
      // The bot records where it posted the plan right after posting it.
      const deadline = Date.now() + 10_000;
      while (!(await bot.composed.store.get(planId))?.chatRef && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect((await bot.composed.store.get(planId))?.chatRef?.ts).toBe(plan.ts);
    });

    it('refuses an Approve click from another channel, and one on another message, and keeps the plan waiting', async () => {
      const elsewhere = { ...plan, channel: SESSIONS };
      const r1 = await sim.click(GROUPIE, elsewhere, 'plan_approve', planId);
      expect(r1.status).toBe(200);
      expect(await told(r1, GROUPIE, 'the refusal')).toContain('only be approved or rejected on the message');
      const otherMessage = { ...plan, ts: `${plan.ts.split('.')[0]}.999999` };
      const r2 = await sim.click(GROUPIE, otherMessage, 'plan_approve', planId);
      expect(await told(r2, GROUPIE, 'the second refusal')).toContain('only be approved or rejected');
      expect((await bot.composed.store.get(planId))?.status).toBe('proposed');
      expect((await bot.composed.store.get(planId))?.approvals).toEqual([]);
    });

    it('refuses a button whose value is not a plan id', async () => {
      const r = await sim.click(GROUPIE, plan, 'plan_approve', `${planId}:x/../../`);
      expect(await told(r, GROUPIE, 'the refusal')).toContain('does not carry a plan id');
      expect((await bot.composed.store.get(planId))?.status).toBe('proposed');
    });

    it('accepts the approval of a member of an approver user group (usergroups.users.list)', async () => {
      const stranger = await sim.click(STRANGER, plan, 'plan_approve', planId);
      expect(await told(stranger, STRANGER, 'the refusal')).toMatch(/not in APPROVERS/);
      const r = await sim.click(GROUPIE, plan, 'plan_approve', planId);
      expect(await told(r, GROUPIE, 'the answer')).toMatch(/Approved by/);
      expect(slack.calls.some((c) => c.method === 'usergroups.users.list' && c.ok)).toBe(true);
      expect(['approved', 'queued']).toContain((await bot.composed.store.get(planId))?.status);
    });

    it('a worker started after the approver left the group refuses the plan, and says why in the thread', async () => {
      slack.setUserGroup(GROUP, []);
      const rolesBefore = await Promise.all(cluster.nodes.map((n) => cluster.roleOf(n)));
      worker = await startTestApp(env('worker'), { prefix });
      const end = await waitForPlanEnd(slack, PAYMENTS, plan.ts);
      expect(end).toMatch(/Failed/);
      const rec = await bot.composed.store.get(planId);
      expect(rec?.result?.detail).toContain('APPROVER_REMOVED');
      const thread = await slack.waitFor(() => {
        const text = slack.thread(PAYMENTS, plan.ts).map(latestText).join('\n');
        return text.includes('APPROVER_REMOVED') ? text : undefined;
      }, 'the refusal in the thread');
      expect(thread).toContain(GROUPIE);
      expect(await Promise.all(cluster.nodes.map((n) => cluster.roleOf(n)))).toEqual(rolesBefore);
      const trail = await bot.composed.audit.forPlan(planId);
      expect(trail.some((e) => e.who === 'worker' && e.outcome === 'APPROVER_REMOVED')).toBe(true);
    });
  });

  it('lists a cluster’s plans and audit only in its own channels', async () => {
    const [plan] = await bot.composed.store.list({ cluster: 'payments', limit: 1 });
    expect(plan).toBeDefined();
    const here = await sim.command(ASKER, PAYMENTS, 'plans');
    expect(await told(here, ASKER, 'the plans in payments')).toContain(plan!.plan.id);
    const there = await sim.command('U0OTHER', SESSIONS, 'plans');
    expect(await told(there, 'U0OTHER', 'the plans in sessions')).not.toContain(plan!.plan.id);
    const audit = await sim.command('U0OTHER2', SESSIONS, 'audit 50');
    expect(await told(audit, 'U0OTHER2', 'the audit in sessions')).not.toContain(plan!.plan.id);
  });

  it('limits scans per person: past 3 a minute, a short ephemeral answer and no scan', async () => {
    const user = 'U0HASTY';
    for (let i = 1; i <= 3; i++) {
      const before = slack.channelMessages(PAYMENTS).length;
      const r = await sim.command(user, PAYMENTS, 'status payments');
      expect(r.status).toBe(200);
      await slack.waitFor(() => slack.channelMessages(PAYMENTS).length > before, `status ${i}`);
    }
    const posted = slack.channelMessages(PAYMENTS).length;
    const r = await sim.command(user, PAYMENTS, 'status payments');
    expect(await told(r, user, 'the limit')).toMatch(/Too many scans: at most 3 a minute/);
    // The refusal is the whole answer: nothing was posted in the channel for the fourth.
    expect(slack.channelMessages(PAYMENTS).length).toBe(posted);
    // Someone else is not limited by it.
    const other = await sim.command(ASKER, PAYMENTS, 'status payments');
    expect(other.status).toBe(200);
    await slack.waitFor(() => slack.channelMessages(PAYMENTS).length > posted, 'the other user’s status');
  });

  it('refuses a replayed signed request with 401, and a body over 64 KiB with 413', async () => {
    const body = slashCommandBody({
      text: 'help',
      user_id: ASKER,
      channel_id: PAYMENTS,
      response_url: slack.responseUrl(PAYMENTS, ASKER),
    });
    const timestampSec = Math.floor(Date.now() / 1000);
    expect((await postToApp(events, SECRET, body, { timestampSec })).status).toBe(200);
    expect((await postToApp(events, SECRET, body, { timestampSec })).status).toBe(401);
    const huge = slashCommandBody({
      text: `help ${'x'.repeat(70 * 1024)}`,
      user_id: ASKER,
      channel_id: PAYMENTS,
      response_url: slack.responseUrl(PAYMENTS, ASKER),
    });
    expect((await postToApp(events, SECRET, huge)).status).toBe(413);
  });

  it('signed but malformed block_actions bodies: 200 or 4xx, never a crash, and nothing approved or run', async () => {
    const before = await bot.composed.store.list({ limit: 50 });
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.string({ maxLength: 30 }),
      fc.string({ minLength: 3000, maxLength: 6000 }),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    const plans = before.map((r) => r.plan.id);
    const payload = fc.record(
      {
        type: fc.oneof(fc.constant('block_actions'), junk),
        user: fc.oneof(fc.record({ id: fc.oneof(fc.constant('U0APPROVER'), junk) }), junk),
        channel: fc.oneof(fc.record({ id: fc.oneof(fc.constant(PAYMENTS), junk) }), junk),
        container: fc.oneof(fc.record({ message_ts: junk, channel_id: junk }), junk),
        actions: fc.oneof(
          fc.array(
            fc.record({
              action_id: fc.oneof(fc.constantFrom('plan_approve', 'plan_reject', 'nope'), junk),
              value: fc.oneof(fc.constantFrom(...plans, 'p-x'), junk),
              type: fc.oneof(fc.constant('button'), junk),
            }),
            { maxLength: 3 },
          ),
          junk,
        ),
        response_url: fc.oneof(fc.constant(slack.responseUrl(PAYMENTS, 'U0APPROVER')), junk),
      },
      { requiredKeys: [] },
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          payload.map((p) => JSON.stringify(p)),
          fc.string({ maxLength: 200 }),
        ),
        async (p) => {
          const raw = new URLSearchParams({ payload: p }).toString();
          const res = await postToApp(events, SECRET, raw);
          statuses.add(res.status);
          expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    expect((await fetch(`http://127.0.0.1:${bot.opsPort}/healthz`)).status).toBe(200);
    const after = await bot.composed.store.list({ limit: 50 });
    expect(after.map((r) => [r.plan.id, r.status, r.approvals.length])).toEqual(
      before.map((r) => [r.plan.id, r.status, r.approvals.length]),
    );
  }, 120_000);
});
