/**
 * A bot pod scheduled while the control Redis is not up yet (or restarting): it starts anyway, stays live and
 * ready in a degraded mode where reading the cluster works and recording approvals plainly does not, and
 * connects by itself once the control Redis answers. Kubernetes therefore never restarts it for a blip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import {
  answersFor,
  appEnv,
  findButton,
  latestText,
  SlackClientSim,
  startTestApp,
  waitForPlanEnd,
} from './support.ts';

const SECRET = 'e2e-signing-secret-control-down';
const CHANNEL = 'C0CONTROLDOWN';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';

describe('a bot started while its control Redis is down', () => {
  let slack: SlackStandIn;
  let cluster: LocalCluster;
  let control: LocalRedis | undefined;
  let controlPort: number;
  let app: RunningApp | undefined;
  let sim: SlackClientSim;
  let ops: string;

  beforeAll(async () => {
    [slack, cluster] = await Promise.all([
      startSlackStandIn(),
      startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    ]);
    controlPort = await pickFreePort('127.0.0.1');
    app = await startTestApp(
      appEnv({
        slack,
        mode: 'http',
        signingSecret: SECRET,
        controlUrl: `redis://127.0.0.1:${controlPort}`,
        seeds: cluster.addrs(),
        approvers: [APPROVER],
        extra: { ALLOWED_CHANNELS: CHANNEL },
      }),
    );
    sim = new SlackClientSim(slack, `http://127.0.0.1:${app.port}/slack/events`, SECRET);
    ops = `http://127.0.0.1:${app.opsPort}`;
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([slack?.close(), cluster?.stop(), control?.stop()]);
  });

  async function ask(text: string) {
    const res = await sim.command(ASKER, CHANNEL, text);
    expect(res.status).toBe(200);
    return slack.waitFor(
      () => answersFor(slack, res.responseUrl).join('\n') || undefined,
      `an answer to /redis ${text}`,
      10_000,
    );
  }

  async function askInChannel(text: string) {
    const before = new Set(slack.channelMessages(CHANNEL).map((m) => m.ts));
    const res = await sim.command(ASKER, CHANNEL, text);
    expect(res.status).toBe(200);
    return slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => !m.threadTs && !before.has(m.ts)),
      `a channel message after /redis ${text}`,
      10_000,
    );
  }

  it('is live, and ready in a degraded mode that names the control Redis', async () => {
    expect((await fetch(`${ops}/livez`)).status).toBe(200);
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; controlRedis: string };
    expect(body).toMatchObject({ status: 'degraded', controlRedis: 'down' });
  });

  it('answers `/redis status` and `/redis help`', async () => {
    expect(latestText(await askInChannel('status'))).toContain('cluster_state:ok');
    expect(await ask('help')).toContain('/redis');
  });

  it('says plainly that it cannot record approvals right now when asked for a plan', async () => {
    const replica = cluster.replicas()[0]!;
    const told = await ask(`failover ${replica.addr}`);
    expect(told).toContain('cannot record approvals right now');
  });

  it('connects once the control Redis starts, and an approval goes through', async () => {
    control = await startRedis({ port: controlPort });
    // Wait on the condition (the bot's own reconnect), with a deadline.
    const deadline = Date.now() + 20_000;
    let health = 0;
    while (health !== 200 && Date.now() < deadline) {
      health = (await fetch(`${ops}/healthz`)).status;
      if (health !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe(200);
    const ready = (await (await fetch(`${ops}/readyz`)).json()) as { controlRedis: string };
    expect(ready.controlRedis).toBe('up');

    const replica = cluster.replicas()[0]!;
    const planMessage = await askInChannel(`failover ${replica.addr}`);
    const planId = findButton(planMessage, 'plan_approve')?.value ?? '';
    expect(planId).toMatch(/^p-/);
    const res = await sim.click(APPROVER, planMessage, 'plan_approve', planId);
    expect(res.status).toBe(200);
    const end = await waitForPlanEnd(slack, CHANNEL, planMessage.ts);
    expect(end).toMatch(/Succeeded/);
    expect(await cluster.roleOf(replica)).toBe('master');
  });
});

describe('a worker started while its control Redis is down', () => {
  let slack: SlackStandIn;
  let control: LocalRedis | undefined;
  let worker: RunningApp | undefined;

  afterAll(async () => {
    await worker?.close();
    await Promise.all([slack?.close(), control?.stop()]);
  });

  it('is live but not ready until the control Redis answers, then ready without a restart', async () => {
    slack = await startSlackStandIn();
    const controlPort = await pickFreePort('127.0.0.1');
    worker = await startTestApp(
      appEnv({
        slack,
        mode: 'http',
        controlUrl: `redis://127.0.0.1:${controlPort}`,
        seeds: ['127.0.0.1:9'],
        extra: { ROLE: 'worker' },
      }),
    );
    const ops = `http://127.0.0.1:${worker.opsPort}`;
    expect((await fetch(`${ops}/livez`)).status).toBe(200);
    expect((await fetch(`${ops}/readyz`)).status).toBe(503);
    control = await startRedis({ port: controlPort });
    const deadline = Date.now() + 20_000;
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline) {
      ready = (await fetch(`${ops}/readyz`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
  });
});
