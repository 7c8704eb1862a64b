/**
 * Alertmanager in (issue 19, part 1), end to end: Alertmanager's webhook (payloads in its documented `version:
 * "4"` format) posted to the app's real HTTP listener, the app as `npm start` runs it (HTTP mode, the Slack Web
 * API stand-in), a real Redis Cluster whose master pod was replaced, a frozen node, a real control Redis.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import { type LocalCluster, type LocalRedis, startRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import { clustersFiles, replaceMasterPod, startHttpApp, THREE_SHARDS } from './chatops-support.ts';
import {
  answersFor,
  findButton,
  latestText,
  type SlackClientSim,
  startBackends,
  stopAll,
  waitForPlanEnd,
} from './support.ts';

const SECRET = 'e2e-signing-secret-alerts';
const CHANNEL = 'C0ALERTS';
/** The frozen cluster's own channel (clusters file `channels:`): its alerts go there, not to WATCH_CHANNEL. */
const FROZEN_CHANNEL = 'C0FROZEN';
const APPROVER = 'U0APPROVER';
const TOKEN = 'am-token-0123456789abcdef';
const FIXTURE = JSON.parse(
  readFileSync(new URL('../fixtures/alertmanager/firing-v4.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { alerts: Record<string, unknown>[] };

/** The documented payload, with another group key / status / cluster label where a test needs one. */
function payload(
  over: { groupKey?: string; status?: 'firing' | 'resolved'; cluster?: string; alertname?: string } = {},
) {
  const p = structuredClone(FIXTURE) as typeof FIXTURE & {
    commonLabels: Record<string, string>;
    groupLabels: Record<string, string>;
  };
  if (over.groupKey) p.groupKey = over.groupKey;
  if (over.status) {
    p.status = over.status;
    for (const a of p.alerts) a.status = over.status;
  }
  for (const labels of [
    p.commonLabels,
    p.groupLabels,
    ...p.alerts.map((a) => a.labels as Record<string, string>),
  ]) {
    if (over.cluster) labels.redis_cluster = over.cluster;
    if (over.alertname) labels.alertname = over.alertname;
  }
  return p;
}

describe('Alertmanager webhook in', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let frozen: LocalRedis;
  let app: RunningApp;
  let sim: SlackClientSim;
  let freshPort: number;
  const files = clustersFiles('alerts');
  const logLines: string[] = [];

  /** POSTs to the webhook of `opts.to` (default: the app of this file), as Alertmanager does. */
  const send = (body: unknown, opts: { token?: string | null; raw?: string; to?: RunningApp } = {}) =>
    fetch(`http://127.0.0.1:${(opts.to ?? app).opsPort}/alerts/alertmanager`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }),
      },
      body: opts.raw ?? JSON.stringify(body),
    });
  const roots = () => slack.channelMessages(CHANNEL).filter((m) => !m.threadTs || m.threadTs === m.ts);

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends(THREE_SHARDS));
    frozen = await startRedis();
    freshPort = await pickFreePort('127.0.0.1');
    const file = files.write([
      '  - name: shop',
      `    seeds: [${[...cluster.addrs(), `127.0.0.1:${freshPort}`].join(', ')}]`,
      '  - name: frozen',
      `    seeds: [${frozen.addr}]`,
      `    channels: [${FROZEN_CHANNEL}]`,
    ]);
    ({ app, sim } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      clustersFile: file,
      approvers: [APPROVER],
      extra: {
        WATCH_CHANNEL: CHANNEL,
        WATCH_INTERVAL: '0',
        ALERTMANAGER_TOKEN: TOKEN,
        // Neither the watch channel nor a cluster's channel is listed: the bot accepts clicks where it posts.
        ALLOWED_CHANNELS: 'C0OPS',
        ALLOW_ALL_CHANNELS: '',
        // Long per-node reads: the frozen node's scan outlives the alert's 4 s bound.
        SCAN_TIMEOUT_MS: '5000',
      },
      logLines,
    }));
  });

  afterAll(async () => {
    frozen?.thaw();
    await stopAll(app, { slack, control, cluster });
    await frozen?.stop();
    files.remove();
  });

  describe('bad input posts nothing', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'not-the-token-at-all-000'],
    ])('refuses %s with 401', async (_what, token) => {
      const res = await send(payload(), { token });
      expect(res.status).toBe(401);
      expect(slack.channelMessages(CHANNEL)).toEqual([]);
    });

    it('answers malformed JSON and a wrong shape with 400 and a one-line reason', async () => {
      const bad = await send(null, { raw: '{"version": "4", "alerts": [' });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/^malformed JSON: .+\n$/);
      const shape = await send({ ...payload(), alerts: [{ status: 'firing', labels: 'nope' }] });
      expect(shape.status).toBe(400);
      const reason = await shape.text();
      expect(reason).toMatch(/^not an Alertmanager webhook payload: alerts\[0\]\.labels: .+\n$/);
      expect(slack.channelMessages(CHANNEL)).toEqual([]);
    });

    it('answers an unknown cluster with 422 naming the label and value, and logs a warning', async () => {
      const res = await send(payload({ cluster: 'nowhere', groupKey: 'g-unknown' }));
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('redis_cluster="nowhere"');
      expect(logLines.some((l) => l.includes('"level":40') && l.includes('nowhere'))).toBe(true);
      expect(slack.channelMessages(CHANNEL)).toEqual([]);
    });

    it('refuses a body over 256 KiB with 413', async () => {
      const big = payload();
      (big.commonAnnotations as Record<string, string>).description = 'x'.repeat(300 * 1024);
      const res = await send(big);
      expect(res.status).toBe(413);
      expect(slack.channelMessages(CHANNEL)).toEqual([]);
    });
  });

  describe('when a master pod of shop is replaced', () => {
    let root: StoredMessage;

    beforeAll(async () => {
      await replaceMasterPod(cluster, freshPort);
    });

    it('a firing group posts the alert, the diagnosis and a plan with Approve / Reject', async () => {
      const res = await send(payload());
      expect(res.status).toBe(200);
      expect(roots()).toHaveLength(1);
      root = roots()[0]!;
      const text = latestText(root);
      expect(text).toContain('RedisClusterMasterDown');
      expect(text).toContain('A Redis Cluster master of shop is down');
      expect(text).toContain(`127.0.0.1:${freshPort}`);
      expect(findButton(root, 'plan_approve')).toBeDefined();
      expect(findButton(root, 'plan_reject')).toBeDefined();
    });

    it('a repeat of the same group posts nothing new, and is counted', async () => {
      const before = slack.messages.length;
      const res = await send(payload());
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('repeat 2');
      expect(slack.messages.length).toBe(before);
      const metrics = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
      expect(metrics).toMatch(/redis_medic_alerts_total\{status="firing",outcome="repeat"\} 1/);
    });

    it('another alert group for the same cluster replies in the open incident thread', async () => {
      const res = await send(payload({ groupKey: 'g-second', alertname: 'RedisClusterSlotsDegraded' }));
      expect(res.status).toBe(200);
      expect(roots()).toHaveLength(1);
      const thread = slack.thread(CHANNEL, root.ts).map(latestText).join('\n');
      expect(thread).toContain('RedisClusterSlotsDegraded');
      expect(thread).toContain('still fits');
    });

    it('resolved, once the approved plan healed the cluster: "alert resolved" and the all-clear in the thread', async () => {
      await sim.click(APPROVER, root, 'plan_approve', findButton(root, 'plan_approve')!.value);
      expect(await waitForPlanEnd(slack, CHANNEL, root.ts, 90_000)).toContain('*Succeeded*');
      const res = await send(payload({ status: 'resolved' }));
      expect(res.status).toBe(200);
      const thread = slack.thread(CHANNEL, root.ts).map(latestText).join('\n');
      expect(thread).toContain('alert resolved');
      expect(thread).toContain('All clear: cluster *shop* is healthy again');
      expect(roots()).toHaveLength(1);
    }, 120_000);
  });

  it("a scan that outlives its bound still posts what is known, in the cluster's own channel", async () => {
    frozen.freeze();
    const res = await send(payload({ cluster: 'frozen', groupKey: 'g-frozen' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`posted in ${FROZEN_CHANNEL}`);
    expect(roots().some((m) => latestText(m).includes('frozen'))).toBe(false);
    const post = slack.channelMessages(FROZEN_CHANNEL)[0];
    expect(post).toBeDefined();
    const text = latestText(post);
    expect(text).toContain('RedisClusterMasterDown');
    expect(text).toContain('the scan took longer than 4000 ms');
  });

  it('still refuses commands in a channel it neither lists nor posts in', async () => {
    const { responseUrl } = await sim.command(APPROVER, 'C0ELSEWHERE', 'status shop');
    const answer = await slack.waitFor(
      () => answersFor(slack, responseUrl)[0],
      'the answer in C0ELSEWHERE',
      10_000,
    );
    expect(answer).toContain('does not take commands in this channel');
  });

  describe('without WATCH_CHANNEL', () => {
    const startWith = async (clusters: string[]) =>
      (
        await startHttpApp({
          slack,
          secret: SECRET,
          controlUrl: control.url,
          clustersFile: files.write(clusters, `clusters-${clusters.length}.yaml`),
          extra: { ALERTMANAGER_TOKEN: TOKEN },
        })
      ).app;

    it('refuses to start when a cluster has no channel of its own, naming it', async () => {
      await expect(
        startWith([
          '  - name: bound',
          `    seeds: [${cluster.addrs()[0]}]`,
          '    channels: [C0BOUND]',
          '  - name: loose',
          `    seeds: [${cluster.addrs()[0]}]`,
        ]),
      ).rejects.toThrow(/WATCH_CHANNEL: required .*: loose$/);
    });

    it('starts when every cluster has a channel, and posts each alert there', async () => {
      const only = await startWith([
        '  - name: bound',
        `    seeds: [${cluster.addrs().join(', ')}]`,
        '    channels: [C0BOUND, C0BOUND2]',
      ]);
      try {
        const res = await send(payload({ cluster: 'bound', groupKey: 'g-bound' }), { to: only });
        expect(res.status).toBe(200);
        const post = slack.channelMessages('C0BOUND')[0];
        expect(latestText(post)).toContain('firing for cluster *bound*');
        expect(slack.channelMessages('C0BOUND2')).toEqual([]);
      } finally {
        await only.close();
      }
    });
  });

  it('is off without a token: 404, nothing posted', async () => {
    const { app: off } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      seeds: cluster.addrs(),
      extra: { WATCH_CHANNEL: 'C0OFF', WATCH_INTERVAL: '0' },
    });
    try {
      const res = await send(payload(), { to: off });
      expect(res.status).toBe(404);
      expect(slack.channelMessages('C0OFF')).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
