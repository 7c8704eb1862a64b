import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import { type LocalRedis, startRedis } from '../support/redis-cluster.ts';
import { postToApp, slashCommandBody } from '../support/slack-signing.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { runToExit } from './run-to-exit.ts';

/** What Slack mode requires besides the Slack credentials (issue 16). */
const SLACK_SECURITY_ENV = {
  APPROVAL_SECRET: 'main-test-approval-secret-0123456789abcdef',
  ALLOW_ALL_CHANNELS: 'true',
};

/** `npm start`: src/main.ts in its own process, with only the given environment. */
function spawnMain(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `npm start` until it exits. */
function runMain(env: Record<string, string>) {
  return runToExit(spawnMain(env), 20_000);
}

describe('npm start with a bad configuration', () => {
  it('prints each problem on its own line, naming the variable, and exits 1', async () => {
    const { code, stderr } = await runMain({
      SLACK_MODE: 'http',
      ...SLACK_SECURITY_ENV,
      SLACK_BOT_TOKEN: 'xoxb-very-secret-token',
      PORT: 'eighty',
      ROLE: 'both',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.some((l) => l.startsWith('CONTROL_REDIS_URL:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('PORT:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('ROLE:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('SLACK_SIGNING_SECRET:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('REDIS_CLUSTER_NODES:'))).toBe(true);
    expect(stderr).not.toContain('xoxb-very-secret-token');
    expect(stderr).not.toContain('eighty');
  });
});

describe('npm start when the control Redis cannot be used', () => {
  let guarded: LocalRedis;
  let hung: LocalRedis;
  let slack: SlackStandIn;

  beforeAll(async () => {
    [guarded, hung, slack] = await Promise.all([
      startRedis({ password: 'the-right-one' }),
      startRedis(),
      startSlackStandIn(),
    ]);
    hung.freeze();
  });
  afterAll(async () => {
    hung?.thaw();
    await Promise.all([guarded?.stop(), hung?.stop(), slack?.close()]);
  });

  /** Console mode (no SLACK_MODE): what a newcomer runs with `npm start`. */
  const consoleEnv = (url: string) => ({ CONTROL_REDIS_URL: url, REDIS_CLUSTER_NODES: '127.0.0.1:7000' });

  it('nothing listening: one line saying so and what to do, exit 1', async () => {
    const port = await pickFreePort();
    const { code, stderr } = await runMain(consoleEnv(`redis://:pw-never-shown@127.0.0.1:${port}`));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `redis-medic could not start: CONTROL_REDIS_UNREACHABLE: the control Redis at redis://:***@127.0.0.1:${port} does not answer (connection refused). It keeps the plans, approvals and the queue: start one (for example \`redis-server --appendonly yes\`) or point CONTROL_REDIS_URL at yours`,
    ]);
  });

  it('frozen (accepts, never answers): the same line within seconds, not a hang', async () => {
    const t0 = Date.now();
    const { code, stderr } = await runMain(consoleEnv(hung.url));
    expect(code).toBe(1);
    expect(stderr).toContain('does not answer (no answer within 3000 ms)');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a wrong password or none: says which, never prints the password; in Slack mode too', async () => {
    const wrong = guarded.url.replace('the-right-one', 'a-wrong-one');
    const refused = await runMain(consoleEnv(wrong));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the password (or user) in CONTROL_REDIS_URL');
    expect(refused.stderr).not.toContain('a-wrong-one');

    const none = await runMain({
      SLACK_MODE: 'http',
      ...SLACK_SECURITY_ENV,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'a-signing-secret',
      SLACK_API_URL: slack.url,
      PORT: '0',
      HOST: '127.0.0.1',
      CONTROL_REDIS_URL: `redis://127.0.0.1:${guarded.port}`,
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('asks for a password: put it in CONTROL_REDIS_URL');
  });
});

describe('npm start in http mode', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    [slack, control] = await Promise.all([startSlackStandIn(), startRedis()]);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([slack?.close(), control?.stop()]);
  });

  it('says plainly when Slack refuses the bot token, and exits 1 before connecting anything else', async () => {
    const { code, stderr } = await runMain({
      SLACK_MODE: 'http',
      ...SLACK_SECURITY_ENV,
      SLACK_BOT_TOKEN: 'xoxb-refused-by-slack',
      SLACK_SIGNING_SECRET: 'a-signing-secret',
      SLACK_API_URL: slack.url,
      // nothing listens there: a bad token must be reported before the control Redis is even tried
      CONTROL_REDIS_URL: 'redis://127.0.0.1:9',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /could not start: SLACK_AUTH_FAILED: Slack refused SLACK_BOT_TOKEN \(auth\.test: invalid_auth\)/,
    );
    expect(stderr).not.toContain('xoxb-refused-by-slack');
  });

  it('serves Slack on PORT and the ops endpoints on OPS_PORT, answers a command, and stops cleanly on SIGTERM', async () => {
    const port = await pickFreePort('127.0.0.1');
    const opsPort = await pickFreePort('127.0.0.1');
    const proc = spawnMain({
      SLACK_MODE: 'http',
      ...SLACK_SECURITY_ENV,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'main-secret',
      SLACK_API_URL: slack.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      CONTROL_REDIS_URL: control.url,
      // a cluster that is not there: the bot must still start, answer and report it
      REDIS_CLUSTER_NODES: '127.0.0.1:9',
      LOG_LEVEL: 'info',
    });
    child = proc;
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    const ops = `http://127.0.0.1:${opsPort}`;
    const deadline = Date.now() + 30_000;
    let health = 0;
    while (Date.now() < deadline) {
      health = await fetch(`${ops}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      if (health === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(health, stderr).toBe(200);
    expect((await fetch(`${ops}/metrics`)).status).toBe(200);
    expect((await fetch(`${ops}/livez`)).status).toBe(200);
    // No APPROVERS: it starts, but says so at start and in /readyz.
    expect(stderr).toContain('APPROVERS is empty: nobody can approve a plan');
    const ready = (await (await fetch(`${ops}/readyz`)).json()) as { status: string; warnings: string[] };
    expect(ready.status).toBe('degraded');
    expect(ready.warnings.join('\n')).toContain('APPROVERS is empty');

    const responseUrl = slack.responseUrl('C0MAIN', 'U0ONCALL');
    const res = await postToApp(
      `${base}/slack/events`,
      'main-secret',
      slashCommandBody({
        text: 'help',
        user_id: 'U0ONCALL',
        channel_id: 'C0MAIN',
        response_url: responseUrl,
      }),
    );
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.answered('C0MAIN', responseUrl), 'an answer to /redis help', 15_000);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(slack.botToken);
    expect(stderr).not.toContain('main-secret');
  });
});
