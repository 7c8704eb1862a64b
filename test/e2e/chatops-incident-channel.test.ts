/**
 * Where the bot speaks first (issue 19): a cluster bound to a channel in the clusters file has its watch-mode
 * incident there, not in WATCH_CHANNEL, and its plan is approved there although ALLOWED_CHANNELS does not list
 * that channel (the bot posted it itself). The app as `npm start` runs it (HTTP mode, signed requests, the Slack
 * Web API stand-in), a real Redis Cluster whose master pod was replaced, a real control Redis and worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { clustersFiles, hasPlan, replaceMasterPod, startHttpApp, THREE_SHARDS } from './chatops-support.ts';
import {
  answersFor,
  findButton,
  latestText,
  type SlackClientSim,
  startBackends,
  stopAll,
  waitForPlanEnd,
} from './support.ts';

const SECRET = 'e2e-signing-secret-incident-channel';
const SHOP_CHANNEL = 'C0SHOPINC';
const WATCH_CHANNEL = 'C0WATCHALL';
const APPROVER = 'U0APPROVER';

describe("a cluster's incidents in its own channel", () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  const files = clustersFiles('incident-channel');

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends(THREE_SHARDS));
    const freshPort = await pickFreePort('127.0.0.1');
    ({ app, sim } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      clustersFile: files.write([
        '  - name: shop',
        `    seeds: [${[...cluster.addrs(), `127.0.0.1:${freshPort}`].join(', ')}]`,
        `    channels: [${SHOP_CHANNEL}]`,
      ]),
      approvers: [APPROVER],
      extra: {
        WATCH_CHANNEL,
        WATCH_INTERVAL: '1',
        WATCH_GRACE: '1',
        ALLOWED_CHANNELS: 'C0OPS',
        ALLOW_ALL_CHANNELS: '',
      },
    }));
    await replaceMasterPod(cluster, freshPort);
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
    files.remove();
  });

  it('the watcher posts the incident and its plan in the cluster channel, and an approval there heals it', async () => {
    const plan = await slack.waitFor(
      () => slack.messages.filter((m) => m.channel === SHOP_CHANNEL && hasPlan(m)).at(-1),
      'the watcher’s plan in the cluster channel',
      60_000,
    );
    expect(slack.messages.filter((m) => m.channel === WATCH_CHANNEL)).toEqual([]);
    const click = await sim.click(APPROVER, plan, 'plan_approve', findButton(plan, 'plan_approve')!.value);
    expect(click.status).toBe(200);
    expect(await waitForPlanEnd(slack, SHOP_CHANNEL, plan.ts, 90_000)).toContain('*Succeeded*');
    expect(answersFor(slack, click.responseUrl).join('\n')).not.toContain('does not take commands');
    await cluster.waitHealthy(30_000);
    expect(latestText(plan)).toContain('shop');
  }, 150_000);
});
