import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import type { RunningApp } from '../../../src/main.ts';
import { commandText } from '../../support/command-texts.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../../support/redis-cluster.ts';
import { type SlackStandIn, startSlackStandIn } from '../../support/slack-stand-in.ts';
import { appEnv, SlackClientSim, startTestApp } from '../support.ts';

let slack: SlackStandIn;
let control: LocalRedis;
let cluster: LocalCluster;
let app: RunningApp;
let sim: SlackClientSim;
beforeAll(async () => {
  [slack, control, cluster] = await Promise.all([
    startSlackStandIn(),
    startRedis(),
    startLocalCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000 }),
  ]);
  app = await startTestApp(
    appEnv({ slack, mode: 'http', signingSecret: 's', controlUrl: control.url, seeds: cluster.addrs() }),
  );
  sim = new SlackClientSim(slack, `http://127.0.0.1:${app.port}/slack/events`, 's');
});
afterAll(async () => {
  await app?.close();
  await Promise.all([slack?.close(), control?.stop(), cluster?.stop()]);
});
it('prof', async () => {
  const texts = fc.sample(commandText(), { numRuns: 300, seed: 42 });
  const times: [number, string][] = [];
  let n = 0;
  for (const text of texts) {
    n++;
    const channel = `C0FZ${n.toString(36).toUpperCase()}`;
    const t0 = performance.now();
    const res = await sim.command('U0FUZZER', channel, text);
    const id = res.responseUrl.split('/').at(-1);
    await slack.waitFor(
      () =>
        slack.responseUrlPosts.some((p) => p.id === id) ||
        slack.messages.some((m) => m.channel === channel) ||
        slack.ephemerals.some((e) => e.channel === channel),
      'x',
      15000,
    );
    times.push([performance.now() - t0, text.slice(0, 50)]);
  }
  times.sort((a, b) => b[0] - a[0]);
  console.log(
    times
      .slice(0, 25)
      .map(([t, s]) => `${t.toFixed(0)} ${JSON.stringify(s)}`)
      .join('\n'),
  );
  console.log('median', times[150]?.[0]);
}, 300000);
