/**
 * Watch mode with two bot replicas (issue 9): two app processes, each started as `npm start` starts it
 * (`src/main.ts`, HTTP mode), against the same control Redis and the same Slack stand-in. One lease in the
 * control Redis: one thread, not two; and when the leader stops, the other carries on in the same thread.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalCluster,
  type LocalNode,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { appEnv, findButton, latestText } from './support.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const WATCH_CHANNEL = 'C0WATCH2';
const LEASE_KEY = 'medic:watch:lease';

class AppProcess {
  readonly child: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv) {
    // The Node running the tests (24), not whatever `node` is first on PATH.
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [this.child.stdout, this.child.stderr])
      s?.setEncoding('utf8').on('data', (d: string) => {
        this.log += d;
      });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

describe('watch mode with two app processes on one control Redis', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  const apps: AppProcess[] = [];
  let replica: LocalNode;

  beforeAll(async () => {
    [slack, control, cluster] = await Promise.all([
      startSlackStandIn(),
      startRedis(),
      startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    ]);
    const env = appEnv({
      slack,
      mode: 'http',
      controlUrl: control.url,
      seeds: cluster.addrs(),
      extra: { WATCH_CHANNEL, WATCH_INTERVAL: '1', WATCH_GRACE: '2', LOG_LEVEL: 'info' },
    });
    apps.push(new AppProcess(env), new AppProcess(env));
    // Both up: each has logged its start (and one of them holds the lease).
    await cluster.waitFor(
      () =>
        apps.every((a) => a.log.includes('redis-medic started')) ||
        apps.some((a) => a.child.exitCode !== null),
      60_000,
      'both app processes started',
    );
    for (const a of apps) if (a.child.exitCode !== null) throw new Error(`an app process exited:\n${a.log}`);
    await cluster.waitFor(async () => (await control.call('GET', LEASE_KEY)) !== null, 10_000, 'the lease');
  });

  afterAll(async () => {
    // E2E_DUMP=1: print what the channel showed, to read the bot's words.
    if (process.env.E2E_DUMP && slack)
      for (const m of slack.messages.filter((x) => x.channel === WATCH_CHANNEL))
        process.stdout.write(
          `--- ${m.threadTs ? `  reply in ${m.threadTs}` : 'ROOT'} ${m.ts} (${m.edits.length} edits)\n${latestText(m)}\n`,
        );
    await Promise.all(apps.map((a) => a.stop()));
    await Promise.all([slack?.close(), control?.stop(), cluster?.stop()]);
  });

  const leaderPid = async () => {
    const owner = String((await control.call('GET', LEASE_KEY)) ?? '');
    return Number(owner.split(':')[1]);
  };

  it('the lease names one of the two processes', async () => {
    expect(apps.map((a) => a.pid)).toContain(await leaderPid());
  });

  it('a failed node produces one thread, not two', async () => {
    const r = cluster.replicas()[0];
    if (!r) throw new Error('no replica');
    replica = r;
    await cluster.kill(replica);
    const root = await slack.waitFor(
      () => slack.channelMessages(WATCH_CHANNEL)[0],
      'the watcher’s first message',
      45_000,
    );
    expect(latestText(root)).toContain(replica.addr);
    // Several more rounds of both processes: still one thread, and no reply said the same thing twice.
    await new Promise((res) => setTimeout(res, 5000));
    expect(slack.channelMessages(WATCH_CHANNEL)).toHaveLength(1);
    const replies = slack.thread(WATCH_CHANNEL, root.ts).map(latestText);
    expect(new Set(replies).size).toBe(replies.length);
  });

  it('when the leader stops, the other process continues the same thread up to the all-clear', async () => {
    const pid = await leaderPid();
    const leader = apps.find((a) => a.pid === pid);
    if (!leader) throw new Error(`the lease names pid ${pid}, not one of ours`);
    await leader.stop('SIGTERM');
    const root = slack.channelMessages(WATCH_CHANNEL)[0];
    if (!root) throw new Error('no root message');

    await cluster.restartNode(replica);
    const allClear = await slack.waitFor(
      () => slack.thread(WATCH_CHANNEL, root.ts).find((m) => /All clear/.test(latestText(m))),
      'the all-clear from the other process',
      60_000,
    );
    expect(latestText(allClear)).toMatch(/The incident lasted \d+/);
    expect(await leaderPid()).not.toBe(pid);
    expect(slack.channelMessages(WATCH_CHANNEL)).toHaveLength(1);
    // The plan proposed in the root no longer applies: its buttons are gone.
    const now = slack.message(WATCH_CHANNEL, root.ts);
    expect(now && findButton(now, 'plan_approve')).toBeUndefined();
  });
});
