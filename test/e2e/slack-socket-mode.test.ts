/**
 * Socket Mode end to end: the app connects to a local WebSocket stand-in (`apps.connections.open` on the Web API
 * stand-in returns its URL), gets `hello`, receives a `slash_commands` envelope for `/redis status`, acks it,
 * and posts the cluster summary through the Web API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { type SocketModeStandIn, startSocketModeStandIn } from '../support/socket-mode-stand-in.ts';
import { answersFor, appEnv, latestText, startTestApp } from './support.ts';

const CHANNEL = 'C0SOCKET';
const USER = 'U0ONCALL';

describe('Slack over Socket Mode', () => {
  let slack: SlackStandIn;
  let socket: SocketModeStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;

  beforeAll(async () => {
    [slack, control, cluster] = await Promise.all([
      startSlackStandIn(),
      startRedis(),
      startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    ]);
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

  it('serves /healthz and /metrics on PORT in socket mode too', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('redis_medic_');
    expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(404);
  });
});
