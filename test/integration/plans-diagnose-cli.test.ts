import { userInfo } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { runDiagnose } from '../../src/cli/diagnose.ts';
import { makePlan } from '../support/plan-fixtures.ts';
import {
  type LocalCluster,
  type LocalNode,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { missingKeys, userCheck, waitHealthy, waitReplicasCaughtUp, writeKeys } from './plans-support.ts';

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('redis-medic diagnose', () => {
  let cluster: LocalCluster;
  let fresh: LocalNode;
  let written: Map<string, string>;
  let control: LocalRedis;
  let slack: SlackStandIn;
  let db: Redis;
  const args = () => ['--nodes', cluster.addrs().join(','), '--extra', fresh.addr, '--wait-timeout', '30000'];

  beforeAll(async () => {
    [control, slack] = await Promise.all([startRedis(), startSlackStandIn()]);
    db = new Redis(control.url);
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    written = await writeKeys(cluster, 100);
    await waitReplicasCaughtUp(cluster);
    const master = cluster.masters()[1]!;
    const replica = cluster.replicasOf(master)[0]!;
    await cluster.kill(master);
    await cluster.waitFor(
      async () => (await cluster.roleOf(replica)) === 'master',
      20_000,
      'the replica to take over',
    );
    // As an operator would: diagnose once every live node agrees on the promotion (else it says to wait).
    await cluster.waitFor(
      async () => {
        const views = await Promise.all(
          cluster
            .all()
            .filter((n) => n.state === 'running')
            .map((n) => cluster.cli(n, 'CLUSTER', 'NODES')),
        );
        return views.every((v) =>
          v
            .split('\n')
            .some((l) => l.startsWith(replica.id) && (l.split(' ')[2] ?? '').split(',').includes('master')),
        );
      },
      20_000,
      'every node to see the promotion',
    );
    fresh = await cluster.startFreshNode();
  });
  afterAll(async () => {
    db?.disconnect();
    await Promise.all([cluster?.stop(), control?.stop(), slack?.close()]);
  });

  /** What production looks like to the CLI: a control Redis, Slack configured, the incident channel. */
  const prodEnv = (): Record<string, string> => ({
    NODE_ENV: 'production',
    CONTROL_REDIS_URL: control.url,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.url,
    ALLOWED_CHANNELS: 'C0OPS',
  });

  it('refuses --password on the command line, before connecting to anything', async () => {
    const c = io();
    expect(await runDiagnose([...args(), '--password', 'pw-on-the-command-line'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--password on the command line shows in ps.*REDIS_PASSWORD.*--password-file/);
    expect(c.err()).not.toContain('pw-on-the-command-line');
  });

  it('with NODE_ENV=production, refuses --execute --yes without --break-glass, and changes nothing', async () => {
    const c = io(prodEnv());
    const dead = cluster.masters()[1]!;
    expect(await runDiagnose([...args(), '--execute', '--yes'], c.io)).toBe(2);
    expect(c.err()).toMatch(/NODE_ENV=production: --execute skips the approvals; add --break-glass/);
    expect(c.out()).not.toMatch(/step 1\/3/);
    expect(await cluster.cli(cluster.masters()[0]!, 'CLUSTER', 'NODES')).toContain(dead.id);
    expect(await createAuditLog(db).last(10)).toEqual([]);
  });

  it('refuses --execute while a plan of the bot holds the cluster lock, and changes nothing', async () => {
    const store = createPlanStore(db);
    const running = makePlan({ cluster: 'default' });
    await store.create(running);
    await db.hset(store.keys.plan(running.id), 'status', 'running');
    expect(await store.acquireClusterLock('default', running.id, 60_000)).toEqual({ ok: true });
    try {
      const c = io({ CONTROL_REDIS_URL: control.url });
      expect(await runDiagnose([...args(), '--execute', '--yes'], c.io)).toBe(2);
      expect(c.err()).toContain(`plan ${running.id} is running on default`);
      expect(c.out()).not.toMatch(/step 1\/3/);
    } finally {
      await store.finish(running.id, { status: 'succeeded', detail: 'test', finishedAt: Date.now() });
    }
  });

  it('prints the plan with the exact commands it would send, and exits 1', async () => {
    const c = io();
    const code = await runDiagnose(args(), c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(1);
    const dead = cluster.masters()[1]!;
    expect(c.out()).toContain(`CLUSTER FORGET ${dead.id}`);
    expect(c.out()).toContain(`CLUSTER MEET 127.0.0.1 ${fresh.port}`);
    expect(c.out()).toMatch(/Plan p-[0-9a-z]{10}: /);
  });

  it('prints the plan as JSON with --json', async () => {
    const c = io();
    expect(await runDiagnose([...args(), '--json'], c.io)).toBe(1);
    const body = JSON.parse(c.out());
    expect(body.plan.steps.map((s: { kind: string }) => s.kind)).toEqual(['forget', 'meet', 'replicate']);
  });

  it('refuses --execute without --yes, and changes nothing', async () => {
    const c = io();
    expect(await runDiagnose([...args(), '--execute'], c.io)).toBe(2);
    expect(c.err()).toMatch(/add --yes/);
  });

  it('runs the plan with --execute --yes --break-glass: locked, audited, announced, each step printed', async () => {
    const c = io(prodEnv());
    const reason = 'INC-4711: the bot is down and payments are failing';
    const code = await runDiagnose([...args(), '--execute', '--yes', '--break-glass', reason], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const trail = await createAuditLog(db).last(10);
    const started = trail.find((e) => e.what === 'cli-execute');
    expect(started?.who).toBe(userInfo().username);
    expect(started?.detail).toBe(`via: cli; break-glass: ${reason}`);
    expect(trail.find((e) => e.what === 'result' && e.plan === started?.plan)?.outcome).toBe('succeeded');
    expect((await createPlanStore(db).get(started!.plan!))?.status).toBe('succeeded');
    expect(await createPlanStore(db).clusterLockHolder('default')).toBeNull();
    const notice = slack
      .channelMessages('C0OPS')
      .map((m) => m.text)
      .join('\n');
    expect(notice).toContain('Break-glass');
    expect(notice).toContain(reason);
    for (const n of [1, 2, 3]) expect(c.out()).toMatch(new RegExp(`step ${n}/3 done in \\d+ ms`));
    expect(c.out()).toMatch(/plan finished succeeded/);
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    expect(await missingKeys(cluster, written)).toEqual([]);
  });

  it('then finds nothing to do, and exits 0', async () => {
    const c = io();
    expect(await runDiagnose(args(), c.io)).toBe(0);
    expect(c.out()).toMatch(/Nothing to do/);
  });

  it('exits 2 when no node answers', async () => {
    const c = io();
    expect(await runDiagnose(['--nodes', '127.0.0.1:1'], c.io)).toBe(2);
    expect(c.err()).toMatch(/could not reach/);
  });
});
