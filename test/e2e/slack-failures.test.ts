/**
 * What an on-call engineer sees when things around the bot fail, over Slack's HTTP mode end to end (the app as
 * `npm start` starts it, signed requests to Bolt's real HTTP receiver, the Web API stand-in, real redis-server
 * processes): the control Redis going down and coming back, twenty people asking `/redis status` at once,
 * commands that cannot apply, and every node of the cluster gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { type LocalCluster, type LocalRedis, startRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import {
  answersFor,
  appEnv,
  findButton,
  latestText,
  SlackClientSim,
  startBackends,
  startHttpApp,
  startTestApp,
  stopAll,
  waitForPlanEnd,
} from './support.ts';

const SECRET = 'e2e-signing-secret-failures';
const CHANNEL = 'C0FAILURES';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';
/** Twenty incident channels: Slack paces posts per channel (1/s), so twenty answers in one would take 20 s. */
/** A channel the bot was never invited to. */
const OUTSIDE = 'C0NOTINVITED';
const CROWD = Array.from({ length: 20 }, (_, i) => `C0CROWD${String(i).padStart(2, '0')}`);

describe('Slack, when things around the bot fail', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;

  beforeAll(async () => {
    // One spare, known to the bot as a seed, to join during the cancel test.
    ({ slack, control, cluster } = await startBackends(
      { masters: 3, replicasPerMaster: 1, spares: 1, nodeTimeoutMs: 1000 },
      { appendonly: true },
    ));
    ({ app, sim } = await startHttpApp(
      { slack, control, cluster },
      {
        secret: SECRET,
        seeds: [...cluster.addrs(), cluster.spares[0]!.addr],
        approvers: [APPROVER],
        extra: { ALLOWED_CHANNELS: [CHANNEL, OUTSIDE, ...CROWD].join(',') },
      },
    ));
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  /** Sends `/redis <text>` and returns what the asker was told (ephemeral) and how long it took. */
  async function ask(text: string, timeoutMs = 10_000) {
    const t0 = Date.now();
    const res = await sim.command(ASKER, CHANNEL, text);
    expect(res.status).toBe(200);
    const told = await slack.waitFor(
      () => answersFor(slack, res.responseUrl).join('\n') || undefined,
      `an answer to /redis ${text}`,
      timeoutMs,
    );
    return { told, ms: Date.now() - t0 };
  }

  /** Sends `/redis <text>` and returns the new top-level channel message it led to. */
  async function askInChannel(text: string, timeoutMs = 10_000) {
    const before = new Set(slack.channelMessages(CHANNEL).map((m) => m.ts));
    const t0 = Date.now();
    const res = await sim.command(ASKER, CHANNEL, text);
    expect(res.status).toBe(200);
    const msg = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => !m.threadTs && !before.has(m.ts)),
      `a channel message after /redis ${text}`,
      timeoutMs,
    );
    return { msg, text: latestText(msg), ms: Date.now() - t0 };
  }

  async function clickAnswer(user: string, message: StoredMessage, actionId: string, planId: string) {
    const t0 = Date.now();
    const res = await sim.click(user, message, actionId, planId);
    expect(res.status).toBe(200);
    const told = await slack.waitFor(
      () => answersFor(slack, res.responseUrl).join('\n') || undefined,
      `an answer to the ${actionId} click`,
      10_000,
    );
    return { told, ms: Date.now() - t0 };
  }

  async function clusterNodesCalls(addr: string): Promise<number> {
    const stats = await cluster.cli(addr, 'INFO', 'commandstats');
    const m = /cmdstat_cluster\|nodes:calls=(\d+)/.exec(stats);
    return m ? Number(m[1]) : 0;
  }

  describe('many `/redis status` at once', () => {
    it('share one scan of the cluster, and the next request scans again', async () => {
      // A frozen replica holds every scan for the scan timeout, so the concurrent requests surely overlap.
      const frozen = cluster.replicas()[0]!;
      const counted = cluster.masters()[0]!.addr;
      cluster.freeze(frozen);
      try {
        const c0 = await clusterNodesCalls(counted);
        await askInChannel('status');
        const one = (await clusterNodesCalls(counted)) - c0;
        expect(one).toBeGreaterThan(0);

        const c1 = await clusterNodesCalls(counted);
        const results = await Promise.all(CROWD.map((channel) => sim.command(ASKER, channel, 'status')));
        expect(results.every((r) => r.status === 200)).toBe(true);
        const answers = await slack.waitFor(
          () => {
            const all = CROWD.map((channel) => slack.channelMessages(channel)[0]);
            return all.every(Boolean) ? all : undefined;
          },
          'a status answer in each of the twenty channels',
          15_000,
        );
        for (const m of answers) expect(latestText(m)).toContain('cluster_state:ok');
        const twenty = (await clusterNodesCalls(counted)) - c1;
        expect(twenty).toBe(one);

        // Not a cache: a request after the shared scan finished reads the cluster again.
        const c2 = await clusterNodesCalls(counted);
        await askInChannel('status');
        expect((await clusterNodesCalls(counted)) - c2).toBe(one);
      } finally {
        cluster.thaw(frozen);
        // The replica was flagged failing while frozen: the next tests start from a cluster that agrees again.
        await cluster.waitHealthy();
      }
    });
  });

  describe('commands that cannot apply', () => {
    it('`/redis restart` without Kubernetes says Kubernetes is not enabled, and what to do', async () => {
      const { told } = await ask('restart redis-cluster-0');
      expect(told).toContain('Kubernetes is not enabled for cluster default');
      expect(told).toContain('K8S_ENABLED');
    });

    it('`/redis cancel` of an unknown plan says so and where to find the ids', async () => {
      const { told } = await ask('cancel p-doesnotexist');
      expect(told).toContain('No such plan');
      expect(told).toContain('/redis plans');
    });

    it('an unknown node is named, as one sentence', async () => {
      const { told } = await ask('forget nosuchnode');
      expect(told).toContain('no node, address or pod "nosuchnode" in cluster default.');
    });
  });

  describe('in a channel the bot is not a member of', () => {
    it('still answers, through the slash command reply, and says to invite it', async () => {
      slack.leaveChannel(OUTSIDE);
      const res = await sim.command(ASKER, OUTSIDE, 'status');
      expect(res.status).toBe(200);
      const told = await slack.waitFor(
        () => {
          const all = answersFor(slack, res.responseUrl).join('\n');
          return /invite/.test(all) ? all : undefined;
        },
        'the answer and the invite hint',
        10_000,
      );
      expect(told).toContain('cluster_state:ok');
      expect(told).toContain('I am not a member of this channel (Slack says not_in_channel)');
      expect(told).toContain('/invite @redis-medic');
      // What shows in the channel came through the reply URL, which Slack accepts from a non-member.
      expect(slack.channelMessages(OUTSIDE).map((m) => m.via)).toEqual(['response_url']);
    });
  });

  describe('when the control Redis goes down while the bot runs, and comes back', () => {
    let planMessage: StoredMessage;
    let planId: string;

    it('(a plan waits for approval)', async () => {
      const replica = cluster.replicas()[1]!;
      const { msg } = await askInChannel(`failover ${replica.addr}`);
      planId = findButton(msg, 'plan_approve')?.value ?? '';
      expect(planId).toMatch(/^p-/);
      planMessage = msg;
      await control.kill();
    });

    it('/healthz answers 503 at once; /livez stays 200 and /readyz keeps the bot in its Service, degraded', async () => {
      const ops = `http://127.0.0.1:${app.opsPort}`;
      const t0 = Date.now();
      const res = await fetch(`${ops}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('control redis unreachable');
      expect(Date.now() - t0).toBeLessThan(3000);
      expect((await fetch(`${ops}/livez`)).status).toBe(200);
      const ready = await fetch(`${ops}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; controlRedis: string; warnings: string[] };
      expect(body.status).toBe('degraded');
      expect(body.controlRedis).toBe('down');
      expect(body.warnings.join('\n')).toContain('approvals and plans cannot be recorded');
    });

    it('`/redis status` still answers: the cluster view does not need the control Redis', async () => {
      const { text, ms } = await askInChannel('status');
      expect(text).toContain('cluster_state:ok');
      expect(ms).toBeLessThan(5000);
    });

    it('`/redis plans` says plainly that the control Redis does not answer, at once', async () => {
      const { told, ms } = await ask('plans');
      expect(told).toContain('Could not list the plans: the control Redis');
      expect(told).toContain('does not answer');
      expect(told).toContain('/redis status` still works');
      expect(ms).toBeLessThan(5000);
    });

    it('(frozen rather than dead) `/redis plans` still answers within seconds, and says it may only be slow', async () => {
      // Dead now; freeze a second Redis the same way a hung control Redis would behave: start, then SIGSTOP.
      const hung = await startRedis();
      const lone = await startTestApp(
        appEnv({
          slack,
          mode: 'http',
          signingSecret: SECRET,
          controlUrl: hung.url,
          seeds: cluster.addrs(),
          approvers: [APPROVER],
          extra: { ALLOWED_CHANNELS: 'C0FROZEN' },
        }),
      );
      try {
        hung.freeze();
        const hungSim = new SlackClientSim(slack, `http://127.0.0.1:${lone.port}/slack/events`, SECRET);
        const t0 = Date.now();
        const res = await hungSim.command(ASKER, 'C0FROZEN', 'plans');
        expect(res.status).toBe(200);
        const told = await slack.waitFor(
          () => answersFor(slack, res.responseUrl).join('\n') || undefined,
          'an answer to /redis plans',
          10_000,
        );
        expect(Date.now() - t0).toBeLessThan(6000);
        expect(told).toContain('Could not list the plans: the control Redis');
        expect(told).toContain('It may only be slow');
        expect((await fetch(`http://127.0.0.1:${lone.opsPort}/healthz`)).status).toBe(503);
      } finally {
        hung.thaw();
        await lone.close();
        await hung.stop();
      }
    });

    it('a click on Approve says the approval could not be recorded, and nothing runs', async () => {
      const { told, ms } = await clickAnswer(APPROVER, planMessage, 'plan_approve', planId);
      expect(told).toContain('Your approval could not be recorded: the control Redis');
      expect(ms).toBeLessThan(5000);
      expect(latestText(slack.message(CHANNEL, planMessage.ts))).toMatch(/waiting for approval/i);
    });

    it('once it is back: /healthz 200, the plan is still there, and the approval goes through', async () => {
      await control.restart();
      const deadline = Date.now() + 15_000;
      let health = 0;
      while (Date.now() < deadline && health !== 200) {
        health = (await fetch(`http://127.0.0.1:${app.opsPort}/healthz`)).status;
        if (health !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(health).toBe(200);
      // The command typed while it was down was answered then, and is not replayed now.
      const { told } = await ask('plans');
      expect(told).toContain(planId);
      expect(told).toMatch(/waiting for approval/i);
      const approved = await clickAnswer(APPROVER, planMessage, 'plan_approve', planId);
      expect(approved.told).toContain('Approved by');
      const final = await waitForPlanEnd(slack, CHANNEL, planMessage.ts).catch(async (err: Error) => {
        // Say where it was stuck: the plan's record, its BullMQ job, and what the message and thread show.
        const rec = await app.composed.store.get(planId);
        const job = await app.composed.queue.jobState(planId);
        const thread = slack.thread(CHANNEL, planMessage.ts).map(latestText);
        throw new Error(
          `${err.message}\nplan status ${rec?.status}, progress ${JSON.stringify(rec?.progress)}, job ${job}\nmessage: ${latestText(slack.message(CHANNEL, planMessage.ts)).slice(0, 400)}\nthread: ${thread.join(' | ').slice(0, 1500)}`,
        );
      });
      expect(final).toContain('*Succeeded*');
    });
  });

  describe('after the plan ran', () => {
    it('a click on Approve or Reject, and a cancel, say it already ran', async () => {
      const planMessage = slack
        .channelMessages(CHANNEL)
        .find((m) => /succeeded/i.test(latestText(m)) && /Fail over/.test(latestText(m)));
      expect(planMessage).toBeDefined();
      const planId = /p-[a-z0-9]+/.exec(planMessage!.text)?.[0] ?? '';
      const again = await clickAnswer(APPROVER, planMessage!, 'plan_approve', planId);
      expect(again.told).toContain('This plan already ran (succeeded)');
      const reject = await clickAnswer(APPROVER, planMessage!, 'plan_reject', planId);
      expect(reject.told).toContain('This plan already ran (succeeded)');
      const cancel = await ask(`cancel ${planId}`);
      expect(cancel.told).toContain('This plan already ran (succeeded)');
    });
  });

  describe('`/redis cancel` of a running plan', () => {
    it('says it stops before its next step, and the summary in the thread says where it stopped', async () => {
      const spare = cluster.spares[0]!;
      // Redis's own wait before a first sync (its default is 5 s), made 10 s: step 2 is still under way when the
      // cancel arrives, even on a busy machine (the cancel cuts that wait short).
      for (const m of cluster.masters())
        await cluster.cli(m, 'CONFIG', 'SET', 'repl-diskless-sync-delay', '10');
      const { msg } = await askInChannel(`join ${spare.addr}`);
      const planId = findButton(msg, 'plan_approve')?.value ?? '';
      expect(planId).toMatch(/^p-/);
      const approved = await clickAnswer(APPROVER, msg, 'plan_approve', planId);
      expect(approved.told).toContain('Approved by');
      // Step 1 (meet) is done: step 2 waits for the replication link (repl-diskless-sync-delay).
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const entries = await app.composed.audit.forPlan(planId, 50);
        if (entries.some((e) => e.what === 'step' && /step 1/.test(e.detail ?? ''))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const cancel = await ask(`cancel ${planId}`);
      expect(cancel.told).toContain('Cancel requested by');
      expect(cancel.told).toContain('the plan stops before its next step');
      expect(cancel.told).toContain('A command already sent to Redis is not undone');
      expect(cancel.told).not.toContain('nothing was touched');
      const summary = await slack.waitFor(
        () =>
          slack
            .thread(CHANNEL, msg.ts)
            .map((m) => latestText(m))
            .find((t) => /\*Plan \S+ (succeeded|cancelled)\* on/.test(t)),
        'the summary in the thread',
        30_000,
      );
      // Step 2's wait for the replication link is cut short; had it finished first, the summary says so.
      if (/\*Plan \S+ cancelled\*/.test(summary)) expect(summary).toContain(`cancelled by ${ASKER}`);
      else expect(summary).toContain(`The cancel of <@${ASKER}> came during its last step`);
      expect(summary).toContain(':white_check_mark: 1. `meet`');
    });
  });

  describe('when the only seed is down', () => {
    it('status says no node answered, and to list several seeds', async () => {
      const { pickFreePort } = await import('../../src/sandbox/local-cluster.ts');
      const dead = `127.0.0.1:${await pickFreePort('127.0.0.1')}`;
      const lone = await startTestApp(
        appEnv({
          slack,
          mode: 'http',
          signingSecret: SECRET,
          controlUrl: control.url,
          seeds: [dead],
          approvers: [APPROVER],
          extra: { ALLOWED_CHANNELS: 'C0LONESEED' },
        }),
      );
      try {
        const loneSim = new SlackClientSim(slack, `http://127.0.0.1:${lone.port}/slack/events`, SECRET);
        const t0 = Date.now();
        const res = await loneSim.command(ASKER, 'C0LONESEED', 'status');
        expect(res.status).toBe(200);
        const msg = await slack.waitFor(() => slack.channelMessages('C0LONESEED')[0], 'the status answer');
        expect(Date.now() - t0).toBeLessThan(5000);
        const text = latestText(msg);
        expect(text).toContain('no node answered (1 address asked)');
        expect(text).toContain('Only one seed is known: list several nodes in REDIS_CLUSTER_NODES');
      } finally {
        await lone.close();
      }
    });
  });

  describe('when every node of the cluster is down', () => {
    it('status and diagnose answer quickly, say no node answered, and propose nothing', async () => {
      await cluster.waitHealthy(20_000);
      for (const n of cluster.all().filter((x) => x.state !== 'killed')) await cluster.kill(n);
      const status = await askInChannel('status');
      expect(status.ms).toBeLessThan(5000);
      expect(status.text).toContain('no node answered');
      const diagnose = await askInChannel('diagnose');
      expect(diagnose.ms).toBeLessThan(5000);
      expect(diagnose.text).toContain('No plan:');
      expect(diagnose.text).toContain('No node of default answered');
      expect(diagnose.text).not.toContain('No plan needed');
      expect(findButton(diagnose.msg, 'plan_approve')).toBeUndefined();
      const forget = await ask(`forget ${cluster.nodes[0]!.addr}`);
      expect(forget.told).toContain('No node of default answered');
      expect(forget.ms).toBeLessThan(5000);
    });
  });
});
