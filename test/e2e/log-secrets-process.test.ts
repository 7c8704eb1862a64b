/**
 * `npm start` at LOG_LEVEL=debug, as a real process, in Slack HTTP mode against a password-protected cluster
 * and a password-protected control Redis: after commands, a plan, clicks, bad requests and a wrong cluster
 * password, no line the process wrote holds the bot token, the signing secret, the approval secret or a
 * Redis password (issue 16, point 7).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { findButton, SlackClientSim, startBackends, stopAll, writeClustersFile } from './support.ts';

const SIGNING = 'signing-secret-that-must-stay-hidden';
const APPROVAL = 'approval-secret-that-must-stay-hidden-0123';
const PASSWORD = 'cluster-pw-that-must-stay-hidden';
const WRONG = 'wrong-pw-with-an-@-sign-hidden';
const CONTROL_PASSWORD = 'control-pw-that-must-stay-hidden';
const CHANNEL = 'C0LOGS';

describe('npm start at LOG_LEVEL=debug: no secret in any line it writes', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends(
      { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000, password: PASSWORD },
      { password: CONTROL_PASSWORD },
    ));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await stopAll(undefined, { slack, control, cluster });
  });

  it('runs commands, a plan and bad requests, then finds none of the secrets in its output', async () => {
    const file = writeClustersFile(
      cluster,
      (seeds) =>
        `clusters:\n  - name: main\n    seeds: [${seeds}]\n    password: { env: MAIN_PW }\n  - name: wrongpw\n    seeds: [${seeds}]\n    password: { env: WRONG_PW }\n`,
    );
    const port = await pickFreePort('127.0.0.1');
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: SIGNING,
        SLACK_API_URL: slack.url,
        APPROVAL_SECRET: APPROVAL,
        ALLOWED_CHANNELS: CHANNEL,
        HOST: '127.0.0.1',
        PORT: String(port),
        CONTROL_REDIS_URL: control.url,
        CLUSTERS_FILE: file,
        MAIN_PW: PASSWORD,
        WRONG_PW: WRONG,
        REDIS_PASSWORD: PASSWORD,
        APPROVERS: 'U0APPROVER',
        LOG_LEVEL: 'debug',
        SCAN_TIMEOUT_MS: '800',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const base = `http://127.0.0.1:${port}`;
    await slack.waitFor(
      () => /redis-medic started/.test(output) || child.exitCode !== null,
      'the process to start',
      30_000,
    );
    expect(child.exitCode, output.slice(-2000)).toBeNull();
    const sim = new SlackClientSim(slack, `${base}/slack/events`, SIGNING);

    await sim.command('U0ONCALL', CHANNEL, 'status main');
    await sim.command('U0ONCALL', CHANNEL, 'status wrongpw');
    await sim.command('U0ONCALL', CHANNEL, `failover ${cluster.replicas()[0]!.addr} --cluster main`);
    const plan = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
      'the plan',
    );
    await sim.click('U0STRANGER', plan, 'plan_approve', findButton(plan, 'plan_approve')!.value);
    await sim.command('U0ONCALL', CHANNEL, 'status', { secret: 'not-the-secret' });
    await slack
      .waitFor(
        () => slack.channelMessages(CHANNEL).filter((m) => /wrongpw/.test(m.text)).length > 0 || undefined,
        'the wrongpw answer',
      )
      .catch(() => undefined);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(output).toMatch(/"level":20/); // debug lines were written
    for (const secret of [slack.botToken, SIGNING, APPROVAL, PASSWORD, WRONG, CONTROL_PASSWORD]) {
      const at = output.indexOf(secret);
      expect(at, `${secret} in: …${output.slice(Math.max(0, at - 300), at)}`).toBe(-1);
    }
    // the '@' password half: what an '@'-naive redaction would leave behind
    expect(output).not.toContain('sign-hidden');
  }, 90_000);

  it('a control Redis password with an @ in it, refused at start: neither half is printed', async () => {
    const wrongUrl = control.url.replace(CONTROL_PASSWORD, 'half-one@half-two');
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        CONTROL_REDIS_URL: wrongUrl,
        REDIS_CLUSTER_NODES: cluster.addrs().join(','),
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise((r) => proc.once('exit', r));
    expect(code).toBe(1);
    expect(out).toContain('refused the password');
    expect(out).not.toContain('half-one');
    expect(out).not.toContain('half-two');
  }, 30_000);
});
