/**
 * A password-protected cluster (requirepass + masterauth) and a control Redis with a password in its URL,
 * through the whole app (composeApp + an in-memory ChatPort, queue, worker, store, audit) and the CLI:
 * replaced pod diagnose → approve → healthy, a planned failover, an open slot closed with MIGRATE … AUTH,
 * a wrong password told as "authentication failed". Then: neither password appears in any log line (debug),
 * chat message, edit, ephemeral or reply, in any key of the control Redis (plans, audit stream, BullMQ
 * jobs), nor in `redis-medic status --json` / `diagnose --json`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDefinitionsFromConfig } from '../../src/clusters-file.ts';
import { type ComposedApp, composeApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { buttonsOf, memoryChat, textOf, waitFor } from '../support/memory-chat.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
  useRedis,
  waitForPromotionAgreed,
  withCluster,
} from '../support/redis-cluster.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'redis-medic.js');
// Distinctive, so a leak cannot hide behind a common word.
const PASSWORD = `Tgt-${randomBytes(8).toString('hex')}-pw`;
const WRONG = `Wrong-${randomBytes(8).toString('hex')}-pw`;
const CONTROL_PASSWORD = `Ctl-${randomBytes(8).toString('hex')}-pw`;
const ACL_PASSWORD = `Acl-${randomBytes(8).toString('hex')}-pw`;
const SECRETS = [PASSWORD, WRONG, CONTROL_PASSWORD, ACL_PASSWORD];

const CHANNEL = 'C0SECRETS';
const ASKER = 'U0ASKER';
const APPROVER = 'U0SECOND';
const THIRD = 'U0THIRD';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where `diagnose --execute` takes its cluster lock and writes its audit. */
const cliControl = useRedis();

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          ...process.env,
          REDIS_PASSWORD: '',
          REDIS_USERNAME: '',
          REDIS_CLUSTER_NODES: '',
          CONTROL_REDIS_URL: cliControl.current.url,
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Every key of the control Redis, whatever its type, as text (plans, audit stream, BullMQ jobs, leases). */
async function dumpControl(url: string): Promise<{ keys: string[]; text: string }> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys = (await r.keys('*')).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const type = await r.type(k);
      const value =
        type === 'string'
          ? await r.get(k)
          : type === 'hash'
            ? await r.hgetall(k)
            : type === 'list'
              ? await r.lrange(k, 0, -1)
              : type === 'set'
                ? await r.smembers(k)
                : type === 'zset'
                  ? await r.call('ZRANGE', k, '0', '-1', 'WITHSCORES')
                  : type === 'stream'
                    ? await r.xrange(k, '-', '+')
                    : null;
      parts.push(`${k} ${type} ${JSON.stringify(value)}`);
    }
    return { keys, text: parts.join('\n') };
  } finally {
    r.disconnect();
  }
}

/** A slot of `a` whose keys (hash tag) are half moved to `b`: a migration stopped half-way. */
async function openSlot(cluster: LocalCluster, keyCount = 30): Promise<{ slot: number; keys: string[] }> {
  // Masters now (a failover may have swapped roles), the first two by slot order.
  const masters: LocalCluster['nodes'] = [];
  for (const n of cluster.nodes)
    if (n.state === 'running' && (await cluster.roleOf(n)) === 'master') masters.push(n);
  const firstSlot = async (n: LocalCluster['nodes'][0]) => {
    const line = (await cluster.cli(n, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'));
    return Number(line?.split(' ')[8]?.split('-')[0] ?? 1e9);
  };
  const ordered = (await Promise.all(masters.map(async (n) => ({ n, start: await firstSlot(n) }))))
    .sort((x, y) => x.start - y.start)
    .map((x) => x.n);
  const [a, b] = ordered as [LocalCluster['nodes'][0], LocalCluster['nodes'][0]];
  let tag = '';
  let slot = -1;
  for (let i = 0; slot < 0 || slot > 5460; i++) {
    tag = `s${i}`;
    slot = Number(await cluster.cli(a, 'CLUSTER', 'KEYSLOT', `{${tag}}`));
  }
  const keys = Array.from({ length: keyCount }, (_, i) => `{${tag}}:${i}`);
  for (const [i, key] of keys.entries()) if (i % 2 === 0) await cluster.call(a, 'SET', key, `v${i}`);
  await cluster.call(b, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', a.id);
  await cluster.call(a, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', b.id);
  // The other half already on the importing side, written with ASKING rather than moved with MIGRATE:
  // Redis keeps a MIGRATE's logged-in socket for 10 s, and the fix would then work without sending AUTH.
  for (const [i, key] of keys.entries()) {
    if (i % 2 === 0) continue;
    await cluster.call(b, 'ASKING');
    expect(await cluster.call(b, 'SET', key, `v${i}`)).toBe('OK');
  }
  return { slot, keys };
}

function expectNoSecret(where: string, text: string) {
  for (const s of SECRETS) {
    if (text.includes(s)) {
      const at = text.indexOf(s);
      throw new Error(`${where} contains a password: …${text.slice(Math.max(0, at - 200), at)}<SECRET>…`);
    }
  }
}

describe('a password-protected cluster through the app, and no secret anywhere', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: ComposedApp;
  const chat = memoryChat({ strict: false });
  const logs: string[] = [];
  const written: string[] = [];
  let defs: ClusterDefinition[] = [];
  const restore: (() => void)[] = [];

  const command = async (text: string) => {
    await app.chatService.handleCommand({ user: ASKER, channel: CHANNEL, text, respond: chat.respond });
  };
  const click = async (user: string, ts: string, planId: string) => {
    await app.chatService.handleAction({
      user,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'plan_approve',
      value: planId,
      respond: chat.respond,
    });
  };
  const lastPlan = () => {
    const entry = [...chat.messages.entries()].reverse().find(([, m]) => buttonsOf(m.msg).length > 0);
    if (!entry) throw new Error('no plan with buttons was posted');
    return { ts: entry[0], msg: entry[1].msg, id: buttonsOf(entry[1].msg)[0]!.value! };
  };
  const lastPosted = () => [...chat.messages.values()].at(-1)?.msg;
  const runPlan = async (approvers: string[]) => {
    const plan = lastPlan();
    for (const u of approvers) await click(u, plan.ts, plan.id);
    await waitFor(
      async () => ['succeeded', 'failed', 'stale'].includes((await app.store.get(plan.id))?.status ?? ''),
      90_000,
      `plan ${plan.id} to finish`,
    );
    await app.chatService.idle();
    return { ...plan, record: await app.store.get(plan.id) };
  };

  beforeAll(async () => {
    // Whatever this process itself prints (ioredis / BullMQ warnings) counts as a log too.
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        written.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    control = await startRedis({ password: CONTROL_PASSWORD });
    expect(control.url).toContain(CONTROL_PASSWORD);
    cluster = await startLocalCluster({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
      password: PASSWORD,
    });
    const loaded = loadConfig({
      CONTROL_REDIS_URL: control.url,
      REDIS_CLUSTER_NODES: cluster.addrs().join(','),
      REDIS_PASSWORD: PASSWORD,
      CLUSTER_NAME: 'sec',
      APPROVERS: `${ASKER},${APPROVER},${THIRD}`,
      ALLOWED_CHANNELS: CHANNEL,
      SCAN_TIMEOUT_MS: '500',
      LOG_LEVEL: 'debug',
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    // The real config path (REDIS_PASSWORD → the cluster's auth), plus the same seeds with a wrong password.
    defs = [
      ...clusterDefinitionsFromConfig(loaded.config),
      { name: 'wrongpw', seeds: cluster.addrs(), auth: { password: WRONG } },
      { name: 'nopw', seeds: cluster.addrs(), auth: {} },
    ];
    app = await composeApp(loaded.config, {
      chat: chat.port,
      logger: createLogger('debug', { write: (line: string) => void logs.push(line) }),
      role: 'all',
      extra: {
        prefix: `sec-${randomBytes(4).toString('hex')}`,
        clusters: defs,
        executor: { waitTimeoutMs: 30_000, pollMs: 100 },
        expiryIntervalMs: 500,
      },
    });
    await app.chatService.start();
  });

  afterAll(async () => {
    for (const r of restore) r();
    await app?.close();
    await cluster?.stop();
    await control?.stop();
  });

  it('status of the cluster reads it with the password', async () => {
    await command('status');
    expect(textOf(lastPosted())).toContain('Redis sec: ok');
    expect(textOf(lastPosted())).toContain('3 (3 healthy)');
  });

  it('a wrong or missing password is told as "authentication failed", not "unreachable"', async () => {
    await command('status wrongpw');
    const wrong = textOf(lastPosted());
    expect(wrong).toContain('Redis wrongpw: authentication failed');
    expect(wrong).toContain('auth-failed');
    expect(wrong).toContain('wrong password');
    expect(wrong).not.toMatch(/unreachable|no node answered/);

    await command('status nopw');
    const none = textOf(lastPosted());
    expect(none).toContain('Redis nopw: authentication failed');
    expect(none).toContain('none is configured (REDIS_PASSWORD)');

    await command('diagnose wrongpw');
    expect(textOf(lastPosted())).toContain('authentication failed');

    await command('clusters');
    expect(chat.seen.at(-1)).toMatch(/\*wrongpw\* — authentication failed/);
  });

  it('the CLI says "authentication failed" too, in text and in --json', async () => {
    const seeds = cluster.addrs().join(',');
    const text = await cli(['status', '--nodes', seeds], { REDIS_PASSWORD: WRONG });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('authentication failed');
    expect(text.stderr).toContain('redis-medic status: authentication failed at');
    expect(text.stderr).not.toContain('could not reach');
    const json = await cli(['status', '--nodes', seeds, '--json'], { REDIS_PASSWORD: WRONG });
    const body = JSON.parse(json.stdout) as { findings: { code: string }[] };
    expect(body.findings.map((f) => f.code)).toEqual(['auth-failed']);
    const diag = await cli(['diagnose', '--nodes', seeds, '--json'], { REDIS_PASSWORD: WRONG });
    expect(diag.code).toBe(2);
    expect(diag.stderr).toContain('redis-medic diagnose: authentication failed at');
    for (const r of [text, json, diag]) expectNoSecret('CLI output', r.stdout + r.stderr);
  });

  it('a replaced master pod: diagnose → approve → healthy, with masterauth shown as ***', async () => {
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
    await cluster.kill(master);
    // Like a restarted pod without the chart's settings: requirepass, but no masterauth.
    const fresh = await cluster.startFreshNode();
    await cluster.call(fresh, 'CONFIG', 'SET', 'masterauth', '');
    defs[0]!.seeds.push(fresh.addr);
    await cluster.waitFor(async () => (await cluster.roleOf(replica)) === 'master', 20_000, 'the promotion');
    await waitForPromotionAgreed(cluster, replica);

    await command('diagnose');
    const plan = lastPlan();
    const shown = textOf(plan.msg);
    expect(shown).toMatch(/CLUSTER FORGET/);
    expect(shown).toMatch(/CLUSTER MEET/);
    expect(shown).toMatch(/CLUSTER REPLICATE/);
    expect(shown).toContain(`${fresh.addr} CONFIG SET masterauth ***`);

    const done = await runPlan([APPROVER]);
    expect(done.record?.status, JSON.stringify(done.record?.progress)).toBe('succeeded');
    await cluster.waitHealthy(30_000);
    // It had none: the replicate step gave it the cluster's, so its link came up.
    expect(await cluster.cli(fresh, 'INFO', 'replication')).toContain('master_link_status:up');
    expect(await cluster.call(fresh, 'CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', PASSWORD]);
    await command('status');
    expect(textOf(lastPosted())).toMatch(/Redis sec: (healthy|ok)/);
  });

  it('a planned failover runs on the password-protected cluster', async () => {
    let replica: LocalCluster['nodes'][0] | undefined;
    for (const n of cluster.nodes)
      if (!replica && n.state === 'running' && (await cluster.roleOf(n)) === 'replica') replica = n;
    if (!replica) throw new Error('no replica left');
    await command(`failover ${replica.addr}`);
    const done = await runPlan([APPROVER]);
    expect(done.record?.status, JSON.stringify(done.record?.progress)).toBe('succeeded');
    expect(await cluster.roleOf(replica)).toBe('master');
    await cluster.waitHealthy(30_000);
  });

  it('an open slot is closed with MIGRATE … AUTH (the dry run shows AUTH ***), no key lost', async () => {
    const { slot, keys } = await openSlot(cluster);
    await command('diagnose');
    const plan = lastPlan();
    expect(textOf(plan.msg)).toContain('REPLACE AUTH *** KEYS');
    const done = await runPlan([APPROVER, THIRD]);
    expect(done.record?.status, JSON.stringify(done.record?.progress)).toBe('succeeded');
    for (const n of cluster.nodes.filter((x) => x.state === 'running'))
      expect(await cluster.cli(n, 'CLUSTER', 'NODES')).not.toMatch(new RegExp(`\\[${slot}-[<>]-`));
    const c = new Redis.Cluster([{ host: cluster.host, port: cluster.nodes[1]!.port }], {
      redisOptions: { password: PASSWORD },
    });
    try {
      const values = await Promise.all(keys.map((k) => c.get(k)));
      expect(values.filter((v) => v === null)).toEqual([]);
    } finally {
      c.disconnect();
    }
  });

  it('the CLI status --json and diagnose --json with the right password show no secret', async () => {
    const seeds = cluster.addrs().join(',');
    const status = await cli(['status', '--nodes', seeds, '--json'], { REDIS_PASSWORD: PASSWORD });
    expect(status.code).toBeLessThan(2);
    expect(JSON.parse(status.stdout).topology.nodes.length).toBeGreaterThan(0);
    const diag = await cli(['diagnose', '--nodes', seeds, '--json'], { REDIS_PASSWORD: PASSWORD });
    expect(diag.code).toBeLessThan(2);
    JSON.parse(diag.stdout);
    for (const r of [status, diag]) expectNoSecret('CLI --json output', r.stdout + r.stderr);
  });

  it('no password in logs, chat, audit, plan records, BullMQ jobs', async () => {
    await app.chatService.idle();
    // Something was written everywhere we look: a leak check of nothing would pass for the wrong reason.
    expect(logs.some((l) => l.includes('"level":20') && l.includes('exec event'))).toBe(true);
    expect(chat.seen.length).toBeGreaterThan(10);
    const dump = await dumpControl(control.url);
    expect(dump.keys.some((k) => k.endsWith(':audit'))).toBe(true);
    expect(dump.keys.some((k) => k.includes(':bull:'))).toBe(true);
    expect(dump.text).toContain('approval');

    expectNoSecret('the logs (LOG_LEVEL=debug)', logs.join(''));
    expectNoSecret("this process's stdout/stderr", written.join(''));
    expectNoSecret('the chat messages, edits, ephemerals and replies', chat.seen.join('\n'));
    expectNoSecret('the control Redis (plans, audit stream, BullMQ jobs)', dump.text);
  });
});

describe('an ACL user other than default', () => {
  it('reads the cluster and closes an open slot with MIGRATE … AUTH2 <user> ***', async () => {
    await withCluster(
      { masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 1000, password: PASSWORD },
      async (cluster) => {
        for (const n of cluster.nodes)
          await cluster.call(n, 'ACL', 'SETUSER', 'medic', 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all');
        const { slot, keys } = await openSlot(cluster);
        const seeds = cluster.addrs().join(',');
        const env = { REDIS_USERNAME: 'medic', REDIS_PASSWORD: ACL_PASSWORD };

        const dry = await cli(['diagnose', '--nodes', seeds], env);
        expect(dry.code, dry.stderr).toBe(1);
        expect(dry.stdout).toContain('REPLACE AUTH2 medic *** KEYS');

        const run = await cli(['diagnose', '--nodes', seeds, '--execute', '--yes', '--json'], env);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        for (const n of cluster.masters())
          expect(await cluster.cli(n, 'CLUSTER', 'NODES')).not.toMatch(new RegExp(`\\[${slot}-[<>]-`));
        const c = new Redis.Cluster([{ host: cluster.host, port: cluster.masters()[0]!.port }], {
          redisOptions: { username: 'medic', password: ACL_PASSWORD },
        });
        try {
          const values = await Promise.all(keys.map((k) => c.get(k)));
          expect(values.filter((v) => v === null)).toEqual([]);
        } finally {
          c.disconnect();
        }

        const wrong = await cli(['status', '--nodes', seeds, '--user', 'medic'], { REDIS_PASSWORD: WRONG });
        expect(wrong.code).toBe(2);
        expect(wrong.stdout).toContain('authentication failed');
        expect(wrong.stdout).toContain('wrong password for user medic');
        for (const r of [dry, run, wrong]) expectNoSecret('CLI output', r.stdout + r.stderr);
      },
    );
  });
});

describe('a new replica of a password-protected master, through the CLI', () => {
  it('gets masterauth when it has none; with a wrong one the step times out naming masterauth', async () => {
    await withCluster(
      { masters: 3, replicasPerMaster: 0, spares: 2, nodeTimeoutMs: 1000, password: PASSWORD },
      async (cluster) => {
        const [none, wrong] = cluster.spares as [LocalCluster['nodes'][0], LocalCluster['nodes'][0]];
        await cluster.call(none, 'CONFIG', 'SET', 'masterauth', '');
        await cluster.call(wrong, 'CONFIG', 'SET', 'masterauth', WRONG);
        const env = { REDIS_PASSWORD: PASSWORD };
        const seeds = cluster.addrs().join(',');

        const ok = await cli(['diagnose', '--nodes', seeds, '--extra', none.addr, '--execute', '--yes'], env);
        expect(ok.code, ok.stdout + ok.stderr).toBe(0);
        expect(ok.stdout).toContain(`${none.addr} CONFIG SET masterauth ***`);
        expect(ok.stdout).toContain(`set masterauth on ${none.addr} (it had none)`);
        expect(await cluster.cli(none, 'INFO', 'replication')).toContain('master_link_status:up');
        // The new replica is still learning the slot map by gossip: a diagnose now would (rightly) say to wait.
        await cluster.waitHealthy();

        const bad = await cli(
          [
            'diagnose',
            '--nodes',
            seeds,
            '--extra',
            wrong.addr,
            '--execute',
            '--yes',
            '--wait-timeout',
            '3000',
          ],
          env,
        );
        expect(bad.code).toBe(1);
        expect(bad.stdout).toContain('a replica whose masterauth is wrong never syncs');
        // It had one: left as it was.
        expect(await cluster.call(wrong, 'CONFIG', 'GET', 'masterauth')).toEqual(['masterauth', WRONG]);
        for (const r of [ok, bad]) expectNoSecret('CLI output', r.stdout + r.stderr);
      },
    );
  });
});
