/**
 * Watch mode when the scans themselves fail (issue 9): the only seed is down, so nothing can be read. The
 * watcher says so once, keeps trying, and says when scans work again. HTTP mode, Slack stand-in, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalNode, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { appEnv, latestText, moreScans, startBackends, startTestApp, stopAll } from './support.ts';

const WATCH_CHANNEL = 'C0WATCHSCAN';

describe('watch mode when the only seed does not answer', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let seed: LocalNode;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends({
      masters: 3,
      replicasPerMaster: 0,
      nodeTimeoutMs: 1000,
      extraConfig: ['appendonly yes'],
    }));
    const first = cluster.masters()[0];
    if (!first) throw new Error('no master');
    seed = first;
    app = await startTestApp(
      appEnv({
        slack,
        mode: 'http',
        controlUrl: control.url,
        seeds: [seed.addr],
        extra: { WATCH_CHANNEL, WATCH_INTERVAL: '1', WATCH_GRACE: '6' },
      }),
    );
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  const texts = () => slack.channelMessages(WATCH_CHANNEL).map(latestText);
  it('says once that it cannot scan, however many scans fail', async () => {
    await moreScans(app, 2);
    expect(texts()).toEqual([]);
    await cluster.kill(seed);
    await slack.waitFor(
      () => texts().some((t) => /cannot scan cluster/.test(t)),
      'the scan-failure notice',
      20_000,
    );
    await moreScans(app, 4); // four more failed scans
    const notices = texts().filter((t) => /cannot scan cluster/.test(t));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`${seed.addr}: refused`);
    expect(notices[0]).toMatch(/keep trying every 1s/);
  });

  it('says when scans work again', async () => {
    await cluster.restartNode(seed);
    await slack.waitFor(
      () => texts().some((t) => /Scans of cluster \*default\* work again/.test(t)),
      'the notice that scans work again',
      30_000,
    );
    await cluster.waitHealthy(30_000);
    await moreScans(app, 3);
    // Back to a healthy cluster. While the restarted seed rejoins, Redis may briefly flag its slots; the
    // contract for such a flap is at most one message, rewritten in place as recovered, never an open incident.
    const others = texts().filter((t) => !/cannot scan|work again/.test(t));
    expect(others.length).toBeLessThanOrEqual(1);
    for (const t of others) expect(t).toMatch(/recovered by itself/);
  });
});
