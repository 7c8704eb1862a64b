/**
 * Memory of both roles as deployed (`ROLE=bot` in Slack HTTP mode and `ROLE=worker`, compiled JavaScript as in
 * bench/app.ts) against a real control Redis, a small real Redis Cluster and the Slack Web API stand-in, each
 * started with `--expose-gc` and the bench-only preload `bench/soak-preload.mjs`. Section 7 of `npm run bench`.
 * It sends batches of signed `/redis` commands (`help`, `plans`, `audit 10`, `clusters` in turn, 50 in flight)
 * and, after each batch, has both processes collect garbage and report RSS and V8 heap in use: a heap that keeps
 * rising after a full GC is a leak, a plateau is not.
 *
 *   npx tsx bench/soak.ts [batches=3] [perBatch=1000] [--snapshots DIR] [--dead-nodes]
 *                       [--mix status,help] [--channels 100] [--node-options "--max-old-space-size=160"]
 *
 * With `--snapshots DIR` the bot also writes a heap snapshot at every checkpoint (`bot-NN.heapsnapshot`);
 * `npx tsx bench/heap-diff.ts A B` compares two of them by constructor.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickFreePort, startLocalCluster, startRedis } from '../src/sandbox/local-cluster.ts';
import { SlackClientSim } from '../test/e2e/support.ts';
import { startSlackStandIn } from '../test/support/slack-stand-in.ts';
import { prepareEntry } from './app.ts';

export { POD_NODE_OPTIONS } from './pod-limits.ts';

import { errorText, round1, sleep, spawnNode, waitUntil } from './util.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SECRET = `soak-signing-${randomBytes(6).toString('hex')}`;
/** The mix of section 6 of `npm run bench`. */
const MIX = ['help', 'plans', 'audit 10', 'clusters'];

/** One process's memory at a checkpoint. */
export interface RoleMemory {
  /** The process's own /metrics before the GC: live objects plus uncollected garbage. */
  heapUsedBeforeGcMiB: number | null;
  /** After a forced full GC: live objects only. Rising from checkpoint to checkpoint is a leak. */
  heapUsedMiB: number;
  rssMiB: number;
  /** V8 heap committed (all spaces), and its young generation (new_space). */
  heapTotalMiB: number;
  newSpaceMiB: number;
  externalMiB: number;
  snapshot?: string;
}

export interface SoakPoint {
  commands: number;
  bot: RoleMemory;
  worker: RoleMemory;
}

type Proc = ReturnType<typeof spawnNode>;

/** Starts one role with --expose-gc and the bench-only preload; `reports` collects its SOAK-HEAP lines. */
function spawnRole(args: string[], env: NodeJS.ProcessEnv): { p: Proc; reports: string[] } {
  const p = spawnNode(['--expose-gc', '--import', resolve(ROOT, 'bench/soak-preload.mjs'), ...args], env);
  const reports: string[] = [];
  p.child.stderr?.on('data', (buf: Buffer) => {
    for (const l of buf.toString('utf8').split('\n'))
      if (l.startsWith('SOAK-HEAP ')) reports.push(l.slice(10));
  });
  return { p, reports };
}

/** Has the process collect garbage and report; reads its /metrics first. */
async function measure(role: { p: Proc; reports: string[] }, opsPort: number): Promise<RoleMemory> {
  const metrics = await fetch(`http://127.0.0.1:${opsPort}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const used = /^redis_medic_nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1];
  const before = role.reports.length;
  role.p.child.kill('SIGUSR2');
  await waitUntil(() => role.reports.length > before, 'a heap report', 60_000, 20);
  const r = JSON.parse(role.reports[before]!) as {
    heapUsed: number;
    heapTotal: number;
    rss: number;
    external: number;
    spaces: Record<string, number>;
    gc: boolean;
    snapshot?: string;
  };
  if (!r.gc) throw new Error('no gc(): --expose-gc missing');
  return {
    heapUsedBeforeGcMiB: used === undefined ? null : round1(Number(used) / 2 ** 20),
    heapUsedMiB: round1(r.heapUsed / 2 ** 20),
    rssMiB: round1(r.rss / 2 ** 20),
    heapTotalMiB: round1(r.heapTotal / 2 ** 20),
    newSpaceMiB: round1((r.spaces.new_space ?? 0) / 2 ** 20),
    externalMiB: round1(r.external / 2 ** 20),
    ...(r.snapshot ? { snapshot: r.snapshot } : {}),
  };
}

export async function soak(
  opts: {
    batches?: number;
    perBatch?: number;
    snapshotDir?: string;
    /** As after bench/app.ts's heals: a killed replica still listed by the cluster, and seeds nobody answers. */
    deadNodes?: boolean;
    /** Commands sent in turn (default section 6's mix) and how many channels they rotate over (default 1). */
    mix?: string[];
    channels?: number;
    /** NODE_OPTIONS of both processes (the chart's --max-old-space-size, to measure what the pods run). */
    nodeOptions?: string;
    log?: (l: string) => void;
  } = {},
): Promise<SoakPoint[]> {
  const log = opts.log ?? (() => {});
  const batches = opts.batches ?? 3;
  const perBatch = opts.perBatch ?? 1000;
  const [slack, control, cluster] = await Promise.all([
    startSlackStandIn(),
    startRedis({ extraConfig: ['maxmemory-policy noeviction'] }),
    startLocalCluster({ masters: 3, replicasPerMaster: 1, timeoutMs: 60_000 }),
  ]);
  const started: Proc[] = [];
  try {
    const [port, botOps, workerOps] = [
      await pickFreePort('127.0.0.1'),
      await pickFreePort('127.0.0.1'),
      await pickFreePort('127.0.0.1'),
    ];
    const seeds = cluster.addrs();
    if (opts.deadNodes) {
      const replica = cluster.replicas()[0];
      if (replica) await cluster.kill(replica);
      for (let i = 0; i < 2; i++) seeds.push(`127.0.0.1:${await pickFreePort('127.0.0.1')}`);
    }
    const entry = await prepareEntry(log);
    if (opts.snapshotDir) mkdirSync(opts.snapshotDir, { recursive: true });
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      CONTROL_REDIS_URL: control.url,
      REDIS_CLUSTER_NODES: seeds.join(','),
      APPROVERS: 'U0APPROVER',
      APPROVAL_SECRET: 'soak-approval-secret-0123456789abcdef',
      ALLOW_ALL_CHANNELS: 'true',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      WATCH_INTERVAL: '0',
      ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
      ...(opts.snapshotDir ? { SOAK_SNAPSHOT_DIR: resolve(opts.snapshotDir) } : {}),
    };
    const bot = spawnRole(entry.args, {
      ...env,
      PORT: String(port),
      OPS_PORT: String(botOps),
      ROLE: 'bot',
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
    });
    const worker = spawnRole(entry.args, { ...env, OPS_PORT: String(workerOps), ROLE: 'worker' });
    started.push(bot.p, worker.p);
    for (const [what, p, ops] of [
      ['the bot', bot.p, botOps],
      ['the worker', worker.p, workerOps],
    ] as const) {
      await waitUntil(
        async () => {
          if (p.child.exitCode !== null) throw new Error(`${what} exited:\n${p.tail()}`);
          return (await fetch(`http://127.0.0.1:${ops}/healthz`).catch(() => null))?.status === 200;
        },
        `${what} to answer /healthz`,
        60_000,
        100,
      );
    }
    log(`bot pid ${bot.p.pid} on :${port}, worker pid ${worker.p.pid} (${entry.how})`);
    const sim = new SlackClientSim(slack, `http://127.0.0.1:${port}/slack/events`, SECRET);

    const checkpoint = async (commands: number): Promise<SoakPoint> => {
      const point = { commands, bot: await measure(bot, botOps), worker: await measure(worker, workerOps) };
      const say = (m: RoleMemory) =>
        `RSS ${m.rssMiB} MiB, heap ${m.heapUsedBeforeGcMiB} MiB → ${m.heapUsedMiB} MiB after a full GC (committed ${m.heapTotalMiB}, young ${m.newSpaceMiB}, external ${m.externalMiB})`;
      log(`after ${commands} commands: bot ${say(point.bot)}; worker ${say(point.worker)}`);
      return point;
    };

    // Warm-up: a few of each, so lazily built things (code, caches) are not counted as growth.
    const load = { mix: opts.mix ?? MIX, channels: opts.channels ?? 1 };
    await batch(sim, slack, 40, load);
    await sleep(1000);
    const points = [await checkpoint(0)];
    for (let b = 1; b <= batches; b++) {
      await batch(sim, slack, perBatch, load);
      await sleep(1000);
      points.push(await checkpoint(b * perBatch));
    }
    const warnings = bot.p
      .tail()
      .split('\n')
      .filter((l) => /Warning|"level":(4|5)0/.test(l));
    if (warnings.length) log(`the bot warned:\n${warnings.slice(-10).join('\n')}`);
    return points;
  } finally {
    await Promise.allSettled(started.map((p) => p.stop()));
    await Promise.allSettled([slack.close(), control.stop(), cluster.stop()]);
  }
}

/** `total` commands, 50 in flight, then waits until each was answered (response_url, message or ephemeral). */
async function batch(
  sim: SlackClientSim,
  slack: Awaited<ReturnType<typeof startSlackStandIn>>,
  total: number,
  load: { mix: string[]; channels: number },
): Promise<void> {
  const answers = () => slack.responseUrlPosts.length + slack.messages.length + slack.ephemerals.length;
  const before = answers();
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const channel = `C0SOAK${String(i % load.channels).padStart(4, '0')}`;
        const r = await sim.command('U0ONCALL', channel, load.mix[i % load.mix.length]!);
        if (r.status !== 200) throw new Error(`command answered HTTP ${r.status}`);
      }
    }),
  );
  await waitUntil(() => answers() - before >= total, `${total} answers`, 120_000, 50);
  // The stand-in lives in this process, not the bot's: emptied so this process stays small.
  slack.responseUrlPosts.splice(0);
  slack.messages.splice(0);
  slack.ephemerals.splice(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const snapAt = args.indexOf('--snapshots');
  const snapshotDir = snapAt >= 0 ? args.splice(snapAt, 2)[1] : undefined;
  const deadAt = args.indexOf('--dead-nodes');
  const deadNodes = deadAt >= 0 && args.splice(deadAt, 1).length > 0;
  const mixAt = args.indexOf('--mix');
  const mix = mixAt >= 0 ? args.splice(mixAt, 2)[1]?.split(',') : undefined;
  const chAt = args.indexOf('--channels');
  const channels = chAt >= 0 ? Number(args.splice(chAt, 2)[1]) : undefined;
  const noAt = args.indexOf('--node-options');
  const nodeOptions = noAt >= 0 ? args.splice(noAt, 2)[1] : undefined;
  const [batches, perBatch] = args.map(Number);
  try {
    const points = await soak({
      ...(batches ? { batches } : {}),
      ...(perBatch ? { perBatch } : {}),
      ...(snapshotDir ? { snapshotDir } : {}),
      deadNodes,
      ...(mix ? { mix } : {}),
      ...(channels ? { channels } : {}),
      ...(nodeOptions ? { nodeOptions } : {}),
      log: (l) => console.error(l),
    });
    console.log(JSON.stringify(points, null, 2));
  } catch (err) {
    console.error(`soak failed: ${errorText(err)}`);
    process.exitCode = 1;
  }
}
