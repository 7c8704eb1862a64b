import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger.ts';
import { type RunningApp, startApp } from '../../src/main.ts';
import type {
  LocalCluster,
  LocalNode,
  LocalRedis,
  StartClusterOptions,
  StartRedisOptions,
} from '../../src/sandbox/local-cluster.ts';
import { startLocalCluster, startRedis } from '../support/redis-cluster.ts';
import { blockActionBody, postToApp, type SignOptions, slashCommandBody } from '../support/slack-signing.ts';
import {
  flattenBlocks,
  type SlackStandIn,
  type StoredMessage,
  startSlackStandIn,
} from '../support/slack-stand-in.ts';

/** Environment for `startApp` exactly as `npm start` reads it, pointed at the stand-in and local Redis. */
export function appEnv(opts: {
  slack: SlackStandIn;
  mode: 'http' | 'socket';
  signingSecret?: string;
  controlUrl: string;
  seeds: string[];
  approvers?: string[];
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  return {
    SLACK_MODE: opts.mode,
    SLACK_BOT_TOKEN: opts.slack.botToken,
    ...(opts.mode === 'http' ? { SLACK_SIGNING_SECRET: opts.signingSecret ?? 'test-signing-secret' } : {}),
    ...(opts.mode === 'socket' ? { SLACK_APP_TOKEN: opts.slack.appToken } : {}),
    SLACK_API_URL: opts.slack.url,
    HOST: '127.0.0.1',
    PORT: '0',
    OPS_PORT: '0',
    CONTROL_REDIS_URL: opts.controlUrl,
    REDIS_CLUSTER_NODES: opts.seeds.join(','),
    APPROVERS: (opts.approvers ?? ['U0APPROVER']).join(','),
    APPROVAL_SECRET: 'e2e-approval-secret-0123456789abcdef',
    ALLOW_ALL_CHANNELS: 'true',
    // Tests fire many commands as one user; test/e2e/slack-security.test.ts tests the limit itself.
    RATE_LIMIT_PER_MINUTE: '0',
    ROLE: 'all',
    SCAN_TIMEOUT_MS: '800',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    ...opts.extra,
  };
}

/**
 * `logLines`, when given, receives every log line the app writes (JSON, one per entry), whatever LOG_LEVEL says.
 * `prefix` shares the control Redis keys with another app (a bot and its separate worker); default: random.
 */
export async function startTestApp(
  env: NodeJS.ProcessEnv,
  opts: { logLines?: string[]; prefix?: string; pickupWarnMs?: number } = {},
): Promise<RunningApp> {
  const { logLines } = opts;
  return startApp(env, {
    logger: logLines
      ? createLogger('debug', { write: (line: string) => void logLines.push(line) })
      : createLogger(env.LOG_LEVEL ?? 'silent'),
    extra: {
      prefix: opts.prefix ?? `e2e${randomBytes(4).toString('hex')}`,
      ...(opts.pickupWarnMs !== undefined ? { pickupWarnMs: opts.pickupWarnMs } : {}),
    },
    // Slack's pacing (1 post/s/channel) as in production; only the 5xx backoff is shortened.
    slack: { backoffMs: 50 },
  });
}

/** What an end-to-end test runs the app against: the Slack stand-in, a control Redis and a Redis Cluster. */
export interface E2eBackends {
  slack: SlackStandIn;
  control: LocalRedis;
  cluster: LocalCluster;
}

/** The cluster most e2e tests run on: three masters with one replica each, failing over within seconds. */
const SMALL_CLUSTER: StartClusterOptions = { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 };

/** Starts the Slack stand-in, the control Redis and the cluster, side by side. */
export async function startBackends(
  clusterOpts: StartClusterOptions = SMALL_CLUSTER,
  controlOpts: StartRedisOptions = {},
): Promise<E2eBackends> {
  const [slack, control, cluster] = await Promise.all([
    startSlackStandIn(),
    startRedis(controlOpts),
    startLocalCluster(clusterOpts),
  ]);
  return { slack, control, cluster };
}

/** Closes the app first, then whatever of the backends was started. */
export async function stopAll(app: RunningApp | undefined, backends: Partial<E2eBackends>): Promise<void> {
  await app?.close();
  await Promise.all([backends?.slack?.close(), backends?.control?.stop(), backends?.cluster?.stop()]);
}

/** Sends signed Slack requests to the app's `/slack/events`, with a fresh response_url each time. */
export class SlackClientSim {
  constructor(
    private readonly slack: SlackStandIn,
    private readonly eventsUrl: string,
    private readonly secret: string,
  ) {}

  async command(user: string, channel: string, text: string, sign: SignOptions = {}) {
    const responseUrl = this.slack.responseUrl(channel, user);
    const body = slashCommandBody({ text, user_id: user, channel_id: channel, response_url: responseUrl });
    const res = await postToApp(this.eventsUrl, this.secret, body, sign);
    return { ...res, responseUrl };
  }

  async click(user: string, message: StoredMessage, actionId: string, value: string, sign: SignOptions = {}) {
    const responseUrl = this.slack.responseUrl(message.channel, user, message.ts);
    const current = message.edits.at(-1) ?? message;
    const body = blockActionBody({
      user_id: user,
      channel_id: message.channel,
      message_ts: message.ts,
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      action_id: actionId,
      value,
      response_url: responseUrl,
      message_blocks: current.blocks,
    });
    const res = await postToApp(this.eventsUrl, this.secret, body, sign);
    return { ...res, responseUrl };
  }
}

/** Text of the latest version of a message (text + blocks). */
export function latestText(m: StoredMessage | undefined): string {
  if (!m) return '';
  const v = m.edits.at(-1) ?? m;
  return `${v.text}\n${flattenBlocks(v.blocks)}`;
}

/** The button `actionId` in a message's latest blocks, if any. */
export function findButton(m: StoredMessage, actionId: string): { value: string } | undefined {
  const v = m.edits.at(-1) ?? m;
  for (const b of v.blocks as {
    type?: string;
    elements?: { action_id?: string; value?: string }[];
    accessory?: { action_id?: string; value?: string };
  }[]) {
    for (const e of [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]) {
      if (e.action_id === actionId) return { value: e.value ?? '' };
    }
  }
  return undefined;
}

/** Every answer a user got to one response_url, plus ephemerals posted to them through the API since `since`. */
export function answersFor(slack: SlackStandIn, responseUrl: string): string[] {
  const id = responseUrl.split('/').at(-1) ?? '';
  return slack.responseUrlPosts
    .filter((p) => p.id === id && p.status === 200)
    .map((p) => `${String(p.body.text ?? '')}\n${flattenBlocks((p.body.blocks as unknown[]) ?? [])}`);
}

/** Waits until the plan message at `ts` shows an end state; returns its text (Succeeded, Failed, Stopped…). */
export function waitForPlanEnd(
  slack: SlackStandIn,
  channel: string,
  ts: string,
  timeoutMs = 60_000,
): Promise<string> {
  return slack.waitFor(
    () => {
      const text = latestText(slack.message(channel, ts));
      return /\*(Succeeded|Failed|Stopped, the cluster changed|Expired|Cancelled)\*/.test(text)
        ? text
        : undefined;
    },
    'the plan to finish',
    timeoutMs,
  );
}

/** Scans of `cluster` the app has finished so far (failed ones included), as its /metrics counts them. */
export async function scanCount(app: RunningApp, cluster = 'default'): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
  const m = new RegExp(`redis_medic_scan_duration_seconds_count\\{cluster="${cluster}"\\} (\\d+)`).exec(body);
  return Number(m?.[1] ?? 0);
}

/** Waits until the app has finished `n` more scans than now: proof that its watcher went round `n` times. */
export async function moreScans(app: RunningApp, n: number, timeoutMs = 30_000): Promise<void> {
  const from = await scanCount(app);
  const deadline = Date.now() + timeoutMs;
  while ((await scanCount(app)) < from + n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} scans in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A master's pod deleted and recreated: once its replica's link is up, kills `master`, waits for the replica's
 * promotion, then starts an empty node alone (at `port` when given, an address the seeds list). Returns the replica.
 */
export async function replaceMasterPod(cluster: LocalCluster, master: LocalNode, port?: number) {
  const replica = cluster.replicasOf(master)[0];
  if (!replica) throw new Error(`no replica of ${master.addr}`);
  // A replica that never finished its first sync refuses to fail over: wait for the link first.
  await cluster.waitFor(
    async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
    20_000,
    'the replica link',
  );
  await cluster.kill(master);
  await cluster.waitFor(async () => (await cluster.roleOf(replica)) === 'master', 30_000, 'replica promoted');
  await cluster.startFreshNode({ port });
  return replica;
}

/** The first message in `channel` with an Approve button, and the plan id it carries. */
export async function waitForPlanMessage(
  slack: SlackStandIn,
  channel: string,
  timeoutMs?: number,
): Promise<{ message: StoredMessage; planId: string }> {
  const message = await slack.waitFor(
    () => slack.channelMessages(channel).find((m) => findButton(m, 'plan_approve')),
    'the plan message',
    timeoutMs,
  );
  return { message, planId: findButton(message, 'plan_approve')!.value };
}

/** Writes a clusters file into a fresh temp dir and returns its path; `body` gets the cluster's seeds, quoted and comma-separated. */
export function writeClustersFile(cluster: LocalCluster, body: (seeds: string) => string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'medic-clusters-')), 'clusters.yaml');
  writeFileSync(
    file,
    body(
      cluster
        .addrs()
        .map((a) => `"${a}"`)
        .join(', '),
    ),
  );
  return file;
}

/** The app in Slack HTTP mode on `b`, as `npm start` starts it, its base URL, and a signed Slack client aimed at it. */
export async function startHttpApp(
  b: E2eBackends,
  o: { secret: string; seeds: string[]; approvers: string[]; extra?: Record<string, string> },
): Promise<{ app: RunningApp; base: string; sim: SlackClientSim }> {
  const app = await startTestApp(
    appEnv({
      slack: b.slack,
      mode: 'http',
      signingSecret: o.secret,
      controlUrl: b.control.url,
      seeds: o.seeds,
      approvers: o.approvers,
      extra: o.extra,
    }),
  );
  const base = `http://127.0.0.1:${app.port}`;
  return { app, base, sim: new SlackClientSim(b.slack, `${base}/slack/events`, o.secret) };
}
