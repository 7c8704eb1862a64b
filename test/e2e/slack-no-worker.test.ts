/**
 * Bot and worker split (ROLE=bot / ROLE=worker) with no worker running: an approved plan must not sit
 * "queued" in silence. The plan's thread says no worker has started it and what to check; once a worker
 * starts, the same plan runs, once, and the thread reports it. HTTP mode, Slack stand-in, real Redis.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
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
} from './support.ts';

const SECRET = 'e2e-signing-secret-no-worker';
const CHANNEL = 'C0NOWORKER';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';

describe('an approved plan when no worker is running', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let bot: RunningApp;
  let worker: RunningApp | undefined;
  let sim: SlackClientSim;
  const prefix = `e2e${randomBytes(4).toString('hex')}`;
  const env = () =>
    appEnv({
      slack,
      mode: 'http',
      signingSecret: SECRET,
      controlUrl: control.url,
      seeds: cluster.addrs(),
      approvers: [APPROVER],
      extra: { ROLE: 'bot' },
    });

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends());
    bot = await startTestApp(env(), { prefix, pickupWarnMs: 1500 });
    sim = new SlackClientSim(slack, `http://127.0.0.1:${bot.port}/slack/events`, SECRET);
  });

  afterAll(async () => {
    await worker?.close();
    await stopAll(bot, { slack, control, cluster });
  });

  it('says so in the thread, and runs once a worker starts', async () => {
    const replica = cluster.replicas()[0]!;
    const res = await sim.command(ASKER, CHANNEL, `failover ${replica.addr}`);
    expect(res.status).toBe(200);
    const { message: plan, planId } = await waitForPlanMessage(slack, CHANNEL, 10_000);
    const click = await sim.click(APPROVER, plan, 'plan_approve', planId);
    expect(click.status).toBe(200);
    const told = await slack.waitFor(
      () => answersFor(slack, click.responseUrl).join('\n') || undefined,
      'the answer to the click',
      10_000,
    );
    expect(told).toContain('Approved by');

    const note = await slack.waitFor(
      () => slack.thread(CHANNEL, plan.ts).find((m) => /no worker has started it/.test(latestText(m))),
      'the no-worker note',
      15_000,
    );
    expect(latestText(note)).toContain('ROLE=worker');
    expect(latestText(note)).toContain(`/redis cancel ${planId}`);
    expect((await bot.composed.store.get(planId))?.status).toBe('queued');
    expect(await cluster.roleOf(replica)).toBe('replica');

    // Worse: the job itself is gone (an enqueue lost to a control-Redis blink). The plan is still approved, so
    // a worker puts it back by itself.
    await bot.composed.queue.queue.remove(planId);
    expect(await bot.composed.queue.jobState(planId)).toBe('unknown');

    // A worker comes up (same control Redis, same keys): the approved plan runs, once.
    worker = await startTestApp({ ...env(), ROLE: 'worker' }, { prefix });
    const final = await waitForPlanEnd(slack, CHANNEL, plan.ts);
    expect(final).toContain('*Succeeded*');
    expect(await cluster.roleOf(replica)).toBe('master');
    const notes = slack
      .thread(CHANNEL, plan.ts)
      .filter((m) => /no worker has started it/.test(latestText(m)));
    expect(notes).toHaveLength(1);
  });
});

describe('a plan that ends while no bot is up', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  const apps: RunningApp[] = [];
  const prefix = `e2e${randomBytes(4).toString('hex')}`;
  const env = (role: string) => ({
    ...appEnv({
      slack,
      mode: 'http',
      signingSecret: SECRET,
      controlUrl: control.url,
      seeds: cluster.addrs(),
      approvers: [APPROVER],
    }),
    ROLE: role,
  });
  const start = async (role: string) => {
    const app = await startTestApp(env(role), { prefix, pickupWarnMs: 0 });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends());
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await stopAll(undefined, { slack, control, cluster });
  });

  it('gets its message and summary once a bot is back', async () => {
    const first = await start('bot');
    const sim = new SlackClientSim(slack, `http://127.0.0.1:${first.port}/slack/events`, SECRET);
    const replica = cluster.replicas()[0]!;
    await sim.command(ASKER, CHANNEL, `failover ${replica.addr}`);
    const { message: plan, planId } = await waitForPlanMessage(slack, CHANNEL, 10_000);
    const click = await sim.click(APPROVER, plan, 'plan_approve', planId);
    expect(click.status).toBe(200);
    await slack.waitFor(
      () => /queued/.test(latestText(slack.message(CHANNEL, plan.ts))) || undefined,
      'queued',
      10_000,
    );

    // The bot goes away; a worker runs the plan to its end with nobody listening to its events.
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    const worker = await start('worker');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await worker.composed.store.get(planId))?.status !== 'succeeded')
      await new Promise((r) => setTimeout(r, 200));
    expect((await worker.composed.store.get(planId))?.status).toBe('succeeded');
    expect(latestText(slack.message(CHANNEL, plan.ts))).not.toContain('*Succeeded*');

    // A bot starts again: the message says how it ended, and the thread gets its summary, once.
    const bot = await start('bot');
    expect(await waitForPlanEnd(slack, CHANNEL, plan.ts, 30_000)).toContain('*Succeeded*');
    const summaries = () =>
      slack.thread(CHANNEL, plan.ts).filter((m) => /^Plan \S+ succeeded on /.test(m.text));
    await slack.waitFor(() => summaries().length > 0 || undefined, 'the summary', 30_000);
    // Two more reconcile rounds of the bot (one whole round after the summary): still one.
    const rounds = bot.composed.chatService.reconcileRounds();
    await slack.waitFor(
      () => bot.composed.chatService.reconcileRounds() >= rounds + 2 || undefined,
      'two more reconcile rounds',
      30_000,
    );
    await bot.composed.chatService.idle();
    expect(summaries()).toHaveLength(1);
  });
});
