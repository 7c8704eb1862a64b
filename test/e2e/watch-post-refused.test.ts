/**
 * Watch mode when Slack keeps refusing the watcher's post (the bot was removed from WATCH_CHANNEL): the
 * watcher retries every round, logs the refusal once rather than every interval, posts as soon as Slack
 * accepts, and logs that it works again. HTTP mode, Slack stand-in, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { appEnv, latestText, moreScans, startBackends, startTestApp, stopAll } from './support.ts';

const WATCH_CHANNEL = 'C0WATCHREFUSED';
const REFUSALS = 6;

describe('watch mode when Slack refuses the post for a while', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  const logLines: string[] = [];
  const logged = (pattern: RegExp) =>
    logLines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((e) => pattern.test(e.msg));

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends({
      masters: 3,
      replicasPerMaster: 0,
      nodeTimeoutMs: 1000,
    }));
    app = await startTestApp(
      appEnv({
        slack,
        mode: 'http',
        controlUrl: control.url,
        seeds: cluster.addrs(),
        extra: { WATCH_CHANNEL, WATCH_INTERVAL: '1', WATCH_GRACE: '1' },
      }),
      { logLines },
    );
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  it('logs the refusal once, and posts the incident once Slack accepts', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' }, REFUSALS);
    const master = cluster.masters()[0]!;
    await cluster.kill(master);
    const post = await slack.waitFor(
      () => slack.channelMessages(WATCH_CHANNEL)[0],
      'the watcher post once Slack accepts it',
      60_000,
    );
    expect(latestText(post)).toContain(master.addr);
    const failures = logged(/^watcher: round failed/);
    // Every refused round was tried (the stand-in's faults are used up), and only the first was logged as an error.
    expect(failures.filter((e) => e.level >= 50)).toHaveLength(1);
    expect(JSON.stringify(failures[0])).toContain('not_in_channel');
    expect(failures.length).toBeGreaterThanOrEqual(REFUSALS);
    // The round that posted ends just after the post: then its success is logged, once.
    await slack.waitFor(
      () => logged(/^watcher: rounds work again/).length > 0 || undefined,
      'the log line',
      5000,
    );
    // Two more watcher rounds (their scans prove they ran): still logged once.
    await moreScans(app, 2);
    expect(logged(/^watcher: rounds work again/)).toHaveLength(1);
  });
});
