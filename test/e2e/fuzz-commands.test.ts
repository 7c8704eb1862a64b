/**
 * 10,000 generated `/redis` texts, each sent as a signed slash command through Bolt's real HTTP receiver to the
 * running app (real ChatService, control Redis and cluster). No crash: every request is acked with 200 in under
 * 3 s, and every one gets an answer (through its response_url, or a message / ephemeral in its channel), within
 * Block Kit limits. Each request comes from its own channel so answers can be told apart.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { commandText } from '../support/command-texts.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { appEnv, SlackClientSim, startBackends, startTestApp, stopAll } from './support.ts';

const SECRET = 'e2e-signing-secret-fuzz';
const TOTAL = 10_000;
const BATCH = 25;

describe('10,000 generated command texts through the HTTP path', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  let base: string;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends({
      masters: 3,
      replicasPerMaster: 0,
      nodeTimeoutMs: 1000,
    }));
    app = await startTestApp(
      appEnv({ slack, mode: 'http', signingSecret: SECRET, controlUrl: control.url, seeds: cluster.addrs() }),
    );
    base = `http://127.0.0.1:${app.port}`;
    sim = new SlackClientSim(slack, `${base}/slack/events`, SECRET);
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  it('acks every one at once and answers every one', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(commandText(), { minLength: BATCH, maxLength: BATCH }), async (texts) => {
        await Promise.all(
          texts.map(async (text) => {
            n += 1;
            const channel = `C0FZ${n.toString(36).toUpperCase()}`;
            const res = await sim.command('U0FUZZER', channel, text);
            expect(res.status, JSON.stringify(text)).toBe(200);
            expect(res.ms).toBeLessThan(3000);
            await slack.waitFor(
              () => slack.answered(channel, res.responseUrl),
              `an answer to ${JSON.stringify(text)}`,
              15_000,
            );
          }),
        );
      }),
      { numRuns: TOTAL / BATCH },
    );
    expect(n).toBeGreaterThanOrEqual(TOTAL);
    // every answer stayed within Slack's limits, and the app is still up
    expect(slack.calls.filter((c) => c.error === 'invalid_blocks' || c.error === 'msg_too_long')).toEqual([]);
    expect(slack.responseUrlPosts.filter((p) => p.status !== 200)).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${app.opsPort}/healthz`)).status).toBe(200);
  }, 600_000);
});
