/**
 * Private answers and App Home (issue 19, part 3), end to end: the app as `npm start` runs it (HTTP mode,
 * Bolt's real receiver, signed slash commands, clicks and Events API requests, the Slack Web API stand-in),
 * a real Redis Cluster whose master pod was replaced, a real control Redis.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import { eventCallbackBody, signedHeaders } from '../support/slack-signing.ts';
import { flattenBlocks, type SlackStandIn, type StoredMessage } from '../support/slack-stand-in.ts';
import { startWithReplacedPod } from './chatops-support.ts';
import { findButton, type SlackClientSim, stopAll } from './support.ts';

const SECRET = 'e2e-signing-secret-private';
const CHANNEL = 'C0PRIVATE';
const ASKER = 'U0ONCALL';

describe('private answers and the App Home tab', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  let base: string;
  let sharedPlanId: string;

  /** The answers to one response_url, with whether they were ephemeral. */
  const answers = (url: string) =>
    slack.responseUrlPosts
      .filter((p) => p.id === url.split('/').at(-1) && p.status === 200)
      .map((p) => ({
        ephemeral: p.body.response_type !== 'in_channel',
        text: `${String(p.body.text ?? '')}\n${flattenBlocks((p.body.blocks as unknown[]) ?? [])}`,
        blocks: (p.body.blocks as unknown[]) ?? [],
      }));

  beforeAll(async () => {
    ({ slack, control, cluster, app, sim } = await startWithReplacedPod(SECRET));
    base = `http://127.0.0.1:${app.port}`;
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  it('status --private answers only the asker; nothing in the channel', async () => {
    const r = await sim.command(ASKER, CHANNEL, 'status --private');
    const got = await slack.waitFor(() => answers(r.responseUrl)[0], 'the private status');
    expect(got.ephemeral).toBe(true);
    expect(got.text).toContain('Redis default');
    expect(slack.channelMessages(CHANNEL)).toEqual([]);
  });

  it('diagnose --private shows the plan without votes, with Share in channel; sharing posts it for approval', async () => {
    const r = await sim.command(ASKER, CHANNEL, 'diagnose --private');
    const got = await slack.waitFor(() => answers(r.responseUrl)[0], 'the private plan');
    expect(got.ephemeral).toBe(true);
    expect(got.text).toContain('Only you see this');
    const preview: StoredMessage = {
      channel: CHANNEL,
      ts: '1700000000.000300',
      text: got.text,
      blocks: got.blocks,
      edits: [],
      via: 'response_url',
    } as StoredMessage;
    expect(findButton(preview, 'plan_approve')).toBeUndefined();
    const share = findButton(preview, 'diagnose_share');
    expect(share?.value).toBe('default');
    expect(slack.channelMessages(CHANNEL)).toEqual([]);

    await sim.click(ASKER, preview, 'diagnose_share', share!.value);
    const posted = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
      'the shared plan in the channel',
    );
    sharedPlanId = findButton(posted, 'plan_approve')!.value;
    expect(posted.text).toContain('on default');
  });

  it('the Home tab shows the clusters with their health, the open plans with a link, and the last audit entries', async () => {
    const body = eventCallbackBody({ type: 'app_home_opened', user: ASKER, channel: 'D0HOME', tab: 'home' });
    const res = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { ...signedHeaders(SECRET, body), 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    const view = await slack.waitFor(() => slack.homeViews.find((v) => v.user === ASKER), 'the Home view');
    const text = flattenBlocks(view.blocks);
    expect(text).toMatch(/\*default\*: (needs attention|ok, with warnings) — \d masters, \d replicas/);
    expect(text).toContain(`|${sharedPlanId}> on *default* — *proposed*`);
    expect(text).toContain('Last 10 audit entries');
    expect(text).toContain(`<@${ASKER}> proposed *default* \`${sharedPlanId}\``);
  });

  it('the app manifest gains the Home tab and its event, and no scope for it', () => {
    const manifest = parseYaml(readFileSync(new URL('../../manifest.yaml', import.meta.url), 'utf8')) as {
      features: { app_home?: { home_tab_enabled?: boolean } };
      oauth_config: { scopes: { bot: string[] } };
      settings: { event_subscriptions?: { bot_events?: string[] } };
    };
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.bot_events).toEqual(['app_home_opened']);
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'usergroups:read']);
  });
});
