/**
 * redis-medic over Slack's HTTP mode, end to end: the app started as `npm start` starts it (startApp with the
 * environment), signed requests to Bolt's real HTTP receiver, a Web API stand-in that behaves like Slack,
 * a real Redis Cluster with the replaced-pod failure, a real control Redis and the real worker in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import { blockActionBody, postToApp, slashCommandBody } from '../support/slack-signing.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import {
  answersFor,
  findButton,
  latestText,
  replaceMasterPod,
  type SlackClientSim,
  startBackends,
  startHttpApp,
  stopAll,
} from './support.ts';

const SECRET = 'e2e-signing-secret-http';
const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';
const STRANGER = 'U0STRANGER';

describe('Slack over HTTP mode', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let base: string;
  let sim: SlackClientSim;
  /** Where the replacement pod will come up (known to the seeds from the start, like a Service name). */
  let freshPort: number;

  beforeAll(async () => {
    // Redis's default repl-diskless-sync-delay (5 s) on purpose: with 0 the replica would re-sync from the
    // fresh, empty node at its old master's address before it can be promoted (another scenario).
    ({ slack, control, cluster } = await startBackends());
    freshPort = await pickFreePort('127.0.0.1');
    ({ app, base, sim } = await startHttpApp(
      { slack, control, cluster },
      { secret: SECRET, seeds: [...cluster.addrs(), `127.0.0.1:${freshPort}`], approvers: [APPROVER] },
    ));
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  describe('the HTTP listener', () => {
    it('serves /livez, /readyz, /healthz and /metrics (Prometheus text) on OPS_PORT, none of them on PORT', async () => {
      const ops = `http://127.0.0.1:${app.opsPort}`;
      expect(app.opsPort).not.toBe(app.port);
      for (const path of ['/livez', '/readyz', '/healthz', '/metrics']) {
        expect((await fetch(`${ops}${path}`)).status, path).toBe(200);
        expect((await fetch(`${base}${path}`)).status, `${path} on PORT`).toBe(404);
      }
      const metrics = await fetch(`${ops}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('redis_medic_commands_total');
      expect(text).toContain('redis_medic_step_duration_seconds');
    });
  });

  describe('requests Slack did not sign', () => {
    const body = () =>
      slashCommandBody({
        text: 'status',
        user_id: ASKER,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(CHANNEL, ASKER),
      });
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['unsigned', { unsigned: true }],
      ['signed with the wrong secret', { secret: 'not-the-secret' }],
      ['replayed: timestamp 6 minutes old', { timestampSec: now() - 360 }],
      ['dated 6 minutes in the future', { timestampSec: now() + 360 }],
    ])('refuses a request %s with 401 and posts nothing', async (_what, sign) => {
      const callsBefore = slack.calls.length;
      const postsBefore = slack.responseUrlPosts.length;
      const res = await postToApp(`${base}/slack/events`, SECRET, body(), sign);
      expect(res.status).toBe(401);
      // give a wrongly accepted request time to produce an answer before checking there is none
      await new Promise((r) => setTimeout(r, 400));
      expect(slack.calls.slice(callsBefore).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
      expect(slack.responseUrlPosts.length).toBe(postsBefore);
    });

    it('refuses an unsigned button click with 401 too', async () => {
      const callsBefore = slack.calls.length;
      const raw = blockActionBody({
        user_id: APPROVER,
        channel_id: CHANNEL,
        message_ts: '1700000000.000100',
        action_id: 'plan_approve',
        value: 'p-anything',
        response_url: slack.responseUrl(CHANNEL, APPROVER),
      });
      const res = await postToApp(`${base}/slack/events`, SECRET, raw, { unsigned: true });
      expect(res.status).toBe(401);
      expect(slack.calls.slice(callsBefore).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    });
  });

  describe('on a cluster whose master pod was replaced (a new, empty node outside the cluster)', () => {
    let planMessage: StoredMessage;
    let planId: string;

    beforeAll(async () => {
      const master = cluster.masters()[0];
      if (!master) throw new Error('no master');
      // The master's pod is deleted; Redis promotes its replica; the pod comes back with a new address and id,
      // empty and alone (an address the seeds list, as a headless Service would).
      await replaceMasterPod(cluster, master, freshPort);
      const other = cluster.masters()[1];
      if (!other) throw new Error('no second master');
      await cluster.waitFor(
        async () => (await cluster.cli(other, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        20_000,
        'cluster_state:ok',
      );
    });

    it('`/redis diagnose` is acked at once and leads to a plan with Approve / Reject in the channel', async () => {
      const res = await sim.command(ASKER, CHANNEL, 'diagnose');
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      planMessage = await slack.waitFor(
        () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
        'a plan message with an Approve button',
      );
      planId = findButton(planMessage, 'plan_approve')?.value ?? '';
      expect(planId).not.toBe('');
      expect(findButton(planMessage, 'plan_reject')?.value).toBe(planId);
      const text = latestText(planMessage);
      expect(text).toMatch(/forget/i);
      expect(text).toMatch(/replica/i);
    });

    it("a non-approver's click changes nothing and is told why, only to them", async () => {
      const res = await sim.click(STRANGER, planMessage, 'plan_approve', planId);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      const told = await slack.waitFor(() => {
        const viaUrl = answersFor(slack, res.responseUrl);
        const viaApi = slack.ephemerals
          .filter((e) => e.user === STRANGER && e.via === 'api')
          .map((e) => e.text);
        const all = [...viaUrl, ...viaApi];
        return all.length ? all.join('\n') : undefined;
      }, 'an answer to the stranger');
      expect(told).toMatch(/approv/i);
      // still waiting for approval: not edited to "approved"/"running", nothing in its thread
      await new Promise((r) => setTimeout(r, 500));
      const now = latestText(slack.message(CHANNEL, planMessage.ts));
      expect(now).toMatch(/waiting for approval/i);
      expect(now).toContain('0/1');
      expect(now).not.toContain(STRANGER);
      expect(slack.thread(CHANNEL, planMessage.ts)).toEqual([]);
      const responses = slack.responseUrlPosts.filter((p) => res.responseUrl.endsWith(p.id));
      expect(responses.every((p) => p.body.response_type !== 'in_channel')).toBe(true);
    });

    it("an approver's click runs the plan: the cluster heals, the thread holds every step and the summary", async () => {
      const res = await sim.click(APPROVER, planMessage, 'plan_approve', planId);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      const summary = await slack.waitFor(
        () =>
          slack
            .thread(CHANNEL, planMessage.ts)
            .find((m) => /succeeded|failed|stale/.test(latestText(m)) && /After/.test(latestText(m))),
        'the final summary in the thread',
        90_000,
      );
      expect(latestText(summary)).toMatch(/succeeded/);
      await cluster.waitHealthy(30_000);

      const thread = slack.thread(CHANNEL, planMessage.ts);
      const threadText = thread.map(latestText).join('\n');
      const total = Number(/\*1\/(\d+)\*/.exec(threadText)?.[1] ?? '0');
      expect(total).toBeGreaterThanOrEqual(3);
      for (let i = 1; i <= total; i++)
        expect(threadText).toMatch(new RegExp(`(:white_check_mark:|:fast_forward:) \\*${i}/${total}\\*`));
      expect(thread.at(-1)).toBe(summary);
      // the plan message itself was updated in place as its status changed
      expect(latestText(slack.message(CHANNEL, planMessage.ts))).toMatch(/succeeded/i);
      expect(latestText(slack.message(CHANNEL, planMessage.ts))).toContain(APPROVER);
    });

    it('`/redis audit` shows who approved', async () => {
      const res = await sim.command(ASKER, CHANNEL, 'audit 20');
      expect(res.status).toBe(200);
      const answer = await slack.waitFor(() => {
        const viaUrl = answersFor(slack, res.responseUrl).join('\n');
        if (viaUrl) return viaUrl;
        const latest = slack.channelMessages(CHANNEL).at(-1);
        return latest && /audit/i.test(latestText(latest)) ? latestText(latest) : undefined;
      }, 'the audit answer');
      expect(answer).toContain(APPROVER);
      expect(answer).toMatch(/approv/i);
      expect(answer).toContain(planId);
    });
  });

  describe('with a frozen node in the cluster', () => {
    it('still acks `/redis status` in under 3 s, then answers', async () => {
      const node = cluster.replicas()[1] ?? cluster.masters()[1];
      if (!node) throw new Error('no node to freeze');
      const before = slack.channelMessages(CHANNEL).length;
      cluster.freeze(node);
      try {
        const res = await sim.command(ASKER, CHANNEL, 'status');
        expect(res.status).toBe(200);
        expect(res.ms).toBeLessThan(3000);
        await slack.waitFor(
          () =>
            slack.channelMessages(CHANNEL).length > before || answersFor(slack, res.responseUrl).length > 0,
          'an answer to status',
          15_000,
        );
      } finally {
        cluster.thaw(node);
      }
    });
  });

  describe('when Slack keeps failing', () => {
    it('a message it never accepts is logged and kept in the audit, and the asker is told', async () => {
      const channel = 'C0FLAKY';
      slack.failNext('chat.postMessage', { status: 503 }, 6);
      const res = await sim.command(ASKER, channel, 'status');
      expect(res.status).toBe(200);
      let entry: { what: string; detail?: string } | undefined;
      const deadline = Date.now() + 30_000;
      while (!entry && Date.now() < deadline) {
        entry = (await app.composed.audit.last(50)).find((e) => e.what === 'report-lost');
        if (!entry) await new Promise((r) => setTimeout(r, 100));
      }
      expect(entry?.detail).toContain(channel);
      expect(entry?.detail).toContain('chat.postMessage');
      const answer = await slack.waitFor(
        () => answersFor(slack, res.responseUrl).join('\n') || undefined,
        'an answer to the asker',
        10_000,
      );
      expect(answer.length).toBeGreaterThan(0);
    });
  });

  describe('Block Kit', () => {
    it('everything the app sent stayed within Slack limits (the stand-in refuses invalid_blocks)', () => {
      const refused = slack.calls.filter(
        (c) => c.error === 'invalid_blocks' || c.error === 'invalid_blocks_format',
      );
      expect(refused).toEqual([]);
      expect(slack.responseUrlPosts.filter((p) => p.status === 400)).toEqual([]);
      expect(slack.calls.some((c) => c.method === 'chat.postMessage' && c.ok)).toBe(true);
    });
  });
});
