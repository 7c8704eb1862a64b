/**
 * Socket Mode end to end: the app connects to a local WebSocket stand-in (`apps.connections.open` on the Web API
 * stand-in returns its URL), gets `hello`, receives a `slash_commands` envelope for `/redis status`, acks it,
 * and posts the cluster summary through the Web API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import { blockActionPayload } from '../support/slack-signing.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { type SocketModeStandIn, startSocketModeStandIn } from '../support/socket-mode-stand-in.ts';
import { answersFor, appEnv, findButton, latestText, startBackends, startTestApp } from './support.ts';

const CHANNEL = 'C0SOCKET';
const USER = 'U0ONCALL';

describe('Slack over Socket Mode', () => {
  let slack: SlackStandIn;
  let socket: SocketModeStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
    }));
    socket = await startSocketModeStandIn(slack);
    app = await startTestApp(
      appEnv({ slack, mode: 'socket', controlUrl: control.url, seeds: cluster.addrs() }),
    );
    await socket.waitForConnection();
  });

  afterAll(async () => {
    await app?.close();
    await socket?.close();
    await Promise.all([slack?.close(), control?.stop(), cluster?.stop()]);
  });

  it('opened the connection with the app token, not the bot token', () => {
    const open = slack.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.every((c) => c.ok)).toBe(true);
  });

  it('acks a `/redis status` envelope at once and posts the cluster summary', async () => {
    const responseUrl = slack.responseUrl(CHANNEL, USER);
    const started = performance.now();
    const ack = await socket.sendSlashCommand({
      token: 'deprecated-verification-token',
      team_id: 'T0MEDIC01',
      team_domain: 'medic',
      channel_id: CHANNEL,
      channel_name: 'incidents',
      user_id: USER,
      user_name: 'oncall',
      command: '/redis',
      text: 'status',
      api_app_id: 'A0MEDIC01',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: '1.2.3',
    });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(ack.envelope_id).toBeTruthy();

    const summary = await slack.waitFor(() => {
      const inChannel = slack.channelMessages(CHANNEL).map(latestText).join('\n');
      const answered = answersFor(slack, responseUrl).join('\n');
      const all = `${inChannel}\n${answered}`;
      return /master/i.test(all) ? all : undefined;
    }, 'the status summary');
    for (const master of cluster.masters()) expect(summary).toContain(String(master.port));
    expect(summary).toMatch(/ok|healthy/i);
  });

  it('runs an approved plan from a button click sent over the socket (a planned failover)', async () => {
    const master = cluster.masters()[2];
    const replica = master ? cluster.replicasOf(master)[0] : undefined;
    if (!master || !replica) throw new Error('no replica');
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
    const ack = await socket.sendSlashCommand({
      command: '/redis',
      text: `failover ${replica.addr}`,
      user_id: USER,
      channel_id: CHANNEL,
      team_id: 'T0MEDIC01',
      response_url: slack.responseUrl(CHANNEL, USER),
      trigger_id: '1.2.4',
    });
    expect(ack.envelope_id).toBeTruthy();
    const plan = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
      'the failover plan',
    );
    const planId = findButton(plan, 'plan_approve')?.value ?? '';
    const click = await socket.sendInteractive(
      blockActionPayload({
        user_id: 'U0APPROVER',
        channel_id: CHANNEL,
        message_ts: plan.ts,
        action_id: 'plan_approve',
        value: planId,
        response_url: slack.responseUrl(CHANNEL, 'U0APPROVER', plan.ts),
        message_blocks: plan.blocks,
      }),
    );
    expect(click.envelope_id).toBeTruthy();
    const summary = await slack.waitFor(
      () => slack.thread(CHANNEL, plan.ts).find((m) => /After/.test(latestText(m))),
      'the summary in the plan thread',
      60_000,
    );
    expect(latestText(summary)).toMatch(/succeeded/);
    expect(await cluster.roleOf(replica)).toBe('master');
  });

  it('serves /livez, /readyz, /healthz and /metrics on OPS_PORT in socket mode too', async () => {
    const base = `http://127.0.0.1:${app.opsPort}`;
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('redis_medic_');
    expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(404);
  });

  it('sent nothing Slack would refuse for Block Kit limits', () => {
    expect(
      slack.calls.filter((c) => c.error === 'invalid_blocks' || c.error === 'invalid_blocks_format'),
    ).toEqual([]);
    expect(slack.responseUrlPosts.filter((p) => p.status !== 200)).toEqual([]);
  });
});
