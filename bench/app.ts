/**
 * Sections 4, 5 and 6 of `npm run bench`: the app deployed as in production, in separate processes —
 * a bot (`ROLE=bot`, Slack HTTP mode: Bolt's real HTTP receiver) and a worker (`ROLE=worker`: BullMQ), both
 * started with `src/main.ts` exactly as `npm start` does — against a real control Redis, a real Redis Cluster
 * and the Slack Web API stand-in of the e2e tests. Requests are signed as Slack signs them.
 *  4. time to heal the replaced-pod failure, Approve → healthy, split into Redis's share and the bot's;
 *  5. ack latency of 50 concurrent slash commands while a plan runs;
 *  6. resident memory of bot and worker, idle and after 1,000 commands.
 * Run alone: `npx tsx bench/app.ts`.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecEvent } from '../src/core/types.ts';
import {
  type LocalCluster,
  type LocalRedis,
  pickFreePort,
  startLocalCluster,
  startRedis,
} from '../src/sandbox/local-cluster.ts';
import type { AckBurst, AckReply } from './ack-client.ts';
import {
  compiledSrc,
  errorText,
  median,
  type NodeProcess,
  percentile,
  preciseClock,
  round1,
  rssOf,
  runTool,
  sleep,
  spawnNode,
  track,
  waitUntil,
} from './util.ts';

const SECRET = `bench-signing-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface HealRun {
  plan: string;
  steps: string[];
  status: string;
  /** Approve click sent → the executor's last check saw the cluster healed (`finished`). */
  totalMs: number;
  /** Gossip and sync: the waits the executor reports as Redis's (redisWaitMs + gossipWaitMs). */
  redisMs: number;
  /** totalMs − redisMs */
  botMs: number;
  bot: {
    /** Click → plan queued (ack, signature, approval guard, store, enqueue). */
    approveToQueuedMs: number;
    /** Queued → a worker took it (BullMQ pickup, cluster lock). */
    queuePickupMs: number;
    /** Re-reading the topology before each step (full parallel scans). */
    recheckScansMs: number;
    /** Sending the commands (FORGET, MEET, REPLICATE…). */
    commandsMs: number;
    /** The rest: step bookkeeping, persisting progress, publishing events, poll-interval granularity. */
    otherMs: number;
  };
  /** `finished` → the summary is in the plan's thread (settle check + Slack pacing). */
  reportAfterHealMs: number;
  /** The bench's own check after the run: cluster_state ok, no failed node, links up. */
  healthyVerified: boolean;
  /** Approve → that check passed (an upper bound: it starts after the summary; the reference is timed the same way). */
  benchSawHealthyMs: number;
  /** How long the Approve click took to be acked. */
  approveAckMs: number;
  stepMetrics: { step: number; kind: string; ms: number; metrics: Record<string, number> }[];
}

export interface HealReference {
  how: string;
  /** Start of the first FORGET → the same health check as `benchSawHealthyMs` passed. */
  totalMs: number;
  forgetLoopMs: number;
  /** `redis-cli --cluster add-node` (MEET, waits for the join, CLUSTER REPLICATE). */
  addNodeMs: number;
  /** Then until the replica's link is up and the check passes (Redis's first sync). */
  syncAndCheckMs: number;
}

export interface AckResult {
  concurrent: number;
  /** Bursts of `concurrent` measured, one after another, while the plan ran. */
  bursts: number;
  command: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The slowest ack of the bot's very first burst (`help`, before the plan): the request path not yet compiled. */
  firstBurstMaxMs: number;
  /** Every request got HTTP 200 within Slack's 3 s. */
  allWithin3s: boolean;
  statuses: Record<string, number>;
  /** The plan was running from before the first request until after the last ack. */
  planRunningThroughout: boolean;
  /** The same burst of `/redis help` just before (no scan behind the ack). */
  help: { p50Ms: number; p99Ms: number; maxMs: number };
  /** How many of the commands had been answered (status posted) 30 s later. */
  answered: number;
  answerP50Ms: number | null;
  answerMaxMs: number | null;
}

export interface MemoryResult {
  /** What RSS includes. */
  note: string;
  /** Plans the worker had run when the "after" figures were taken. */
  plansRunByWorker: number;
  idle: { botMiB: number; workerMiB: number };
  after1000: { botMiB: number; workerMiB: number; botPeakMiB: number; workerPeakMiB: number };
  commands: { sent: number; acked: number; answered: number; mix: string[]; wallMs: number };
  /** After a second batch of 1,000 (leak check). */
  after2000?: {
    botMiB: number;
    workerMiB: number;
    botHeapUsedMiB: number | null;
    workerHeapUsedMiB: number | null;
  };
  /** V8 heap in use (live objects plus garbage not yet collected), from each process's /metrics. */
  heapUsedMiB: {
    idle: { bot: number | null; worker: number | null };
    after1000: { bot: number | null; worker: number | null };
  };
}

export interface AppBenchResult {
  deployment: string;
  heal:
    | { runs: HealRun[]; medianTotalMs: number; medianRedisMs: number; medianBotMs: number }
    | { skipped: string };
  /** The same repair by hand (scripted redis-cli), timed to the same health check as `benchSawHealthyMs`. */
  healReference: HealReference | { skipped: string };
  ack: AckResult | { skipped: string };
  memory: MemoryResult | { skipped: string };
}

type Sim = import('../test/e2e/support.ts').SlackClientSim;
type StandIn = import('../test/support/slack-stand-in.ts').SlackStandIn;
type StoredMessage = import('../test/support/slack-stand-in.ts').StoredMessage;

/** `src/main.ts` as production runs it: compiled JavaScript (bench/util.ts `compiledSrc`), else through tsx. */
export async function prepareEntry(log: (l: string) => void): Promise<{ args: string[]; how: string }> {
  const outDir = compiledSrc(log);
  if (outDir)
    return {
      args: [resolve(outDir, 'main.js')],
      how: 'compiled JavaScript (src/ built with tsconfig.build.json, like `node dist/main.js` in the image)',
    };
  return {
    args: ['--import', 'tsx', resolve(ROOT, 'src/main.ts')],
    how: 'src/main.ts through the tsx loader',
  };
}

interface Stack {
  entry: string;
  slack: StandIn;
  control: LocalRedis;
  cluster: LocalCluster;
  freshPorts: number[];
  bot: NodeProcess;
  worker: NodeProcess;
  /** OPS_PORT of each process (`/healthz`, `/metrics`); Slack reaches the bot on its own PORT. */
  botPort: number;
  workerPort: number;
  /** Where Slack's requests reach the bot (Bolt's HTTP receiver). */
  botSlackPort: number;
  sim: Sim;
  execEvents: { e: ExecEvent; seenAt: number }[];
  planEvents: { kind: string; plan: string; at: number }[];
  closeBus: () => Promise<void>;
  support: typeof import('../test/e2e/support.ts');
  store: import('../src/adapters/store/plan-store.ts').ControlPlanStore;
}

async function waitReady(p: NodeProcess, port: number, what: string): Promise<void> {
  await waitUntil(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${what} exited:\n${p.tail()}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      return res?.status === 200;
    },
    `${what} to answer /healthz`,
    60_000,
    100,
  ).catch((err) => {
    throw new Error(`${errorText(err)}\n${p.tail()}`);
  });
}

function baseEnv(stack: { control: LocalRedis; seeds: string[] }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    HOST: '127.0.0.1',
    CONTROL_REDIS_URL: stack.control.url,
    REDIS_CLUSTER_NODES: stack.seeds.join(','),
    APPROVERS: APPROVER,
    APPROVAL_SECRET: 'bench-approval-secret-0123456789abcdef',
    ALLOW_ALL_CHANNELS: 'true',
    // The bench drives one user far past a person's pace.
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // The watcher would propose plans on its own while we break the cluster: off, so only our plans run.
    WATCH_INTERVAL: '0',
  };
}

async function startStack(log: (l: string) => void): Promise<Stack> {
  const { startSlackStandIn } = await import('../test/support/slack-stand-in.ts');
  const support = await import('../test/e2e/support.ts');
  const { createEventBus } = await import('../src/adapters/queue/event-bus.ts');
  const { createPlanStore } = await import('../src/adapters/store/plan-store.ts');
  const { Redis } = await import('ioredis');
  const [slack, control, cluster] = await Promise.all([
    startSlackStandIn(),
    startRedis({ extraConfig: ['maxmemory-policy noeviction'] }),
    startLocalCluster({
      masters: 4,
      replicasPerMaster: 1,
      // Redis's default (5 s), as in production: the new replica's first sync waits for it — Redis's share.
      extraConfig: ['repl-diskless-sync-delay 5'],
      timeoutMs: 60_000,
    }),
  ]);
  const partial = { slack, control, cluster };
  try {
    // Where the replacement pods will come up: seeds from the start, as a headless Service name would be.
    const freshPorts: number[] = [];
    for (let i = 0; i < 4; i++) freshPorts.push(await pickFreePort('127.0.0.1'));
    const seeds = [...cluster.addrs(), ...freshPorts.map((p) => `127.0.0.1:${p}`)];
    const botSlackPort = await pickFreePort('127.0.0.1');
    const botPort = await pickFreePort('127.0.0.1');
    const workerPort = await pickFreePort('127.0.0.1');
    const env = baseEnv({ control, seeds });
    const entry = await prepareEntry(log);
    const bot = spawnNode(entry.args, {
      ...env,
      ROLE: 'bot',
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      PORT: String(botSlackPort),
      OPS_PORT: String(botPort),
    });
    const worker = spawnNode(entry.args, { ...env, ROLE: 'worker', OPS_PORT: String(workerPort) });
    try {
      await Promise.all([waitReady(bot, botPort, 'the bot'), waitReady(worker, workerPort, 'the worker')]);
    } catch (err) {
      await Promise.all([bot.stop(), worker.stop()]);
      throw err;
    }
    log(`  bot pid ${bot.pid} on :${botPort}, worker pid ${worker.pid}: ready`);
    const bus = createEventBus(control.url, { prefix: 'medic', streamMaxLen: 0 });
    const execEvents: Stack['execEvents'] = [];
    const planEvents: Stack['planEvents'] = [];
    await bus.subscribe((e) => execEvents.push({ e, seenAt: Date.now() }));
    await bus.subscribePlan((e) => planEvents.push({ kind: e.kind, plan: e.plan, at: e.at }));
    const storeConn = new Redis(control.url, { maxRetriesPerRequest: 1 });
    const store = createPlanStore(storeConn, { prefix: 'medic' });
    const sim = new support.SlackClientSim(slack, `http://127.0.0.1:${botSlackPort}/slack/events`, SECRET);
    return {
      ...partial,
      entry: entry.how,
      freshPorts,
      bot,
      worker,
      botPort,
      workerPort,
      botSlackPort,
      sim,
      execEvents,
      planEvents,
      support,
      store,
      closeBus: async () => {
        await bus.close();
        storeConn.disconnect();
      },
    };
  } catch (err) {
    await Promise.all([slack.close(), control.stop(), cluster.stop()]);
    throw err;
  }
}

async function stopStack(s: Stack): Promise<void> {
  await Promise.allSettled([s.bot.stop(), s.worker.stop()]);
  await s.closeBus().catch(() => undefined);
  await Promise.allSettled([s.slack.close(), s.control.stop(), s.cluster.stop()]);
}

/** The replaced-pod failure of write-ups 000/004: master killed, replica promoted, an empty pod comes back. */
async function breakCluster(s: Stack, k: number): Promise<void> {
  const { cluster } = s;
  const master = cluster.masters()[k];
  const replica = master ? cluster.replicasOf(master)[0] : undefined;
  if (!master || !replica) throw new Error(`no master ${k} with a replica`);
  // A replica that never finished its first sync refuses to fail over: wait for the link first.
  await cluster.waitFor(
    async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
    30_000,
    'the replica link',
  );
  await cluster.kill(master);
  await cluster.waitFor(async () => (await cluster.roleOf(replica)) === 'master', 30_000, 'replica promoted');
  await cluster.startFreshNode({ port: s.freshPorts[k]! });
  await cluster.waitFor(
    async () => (await cluster.cli(replica, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
    30_000,
    'cluster_state:ok',
  );
}

/** `/redis diagnose`, then the new plan message with its Approve button. */
async function diagnose(s: Stack, seen: Set<string>): Promise<{ message: StoredMessage; planId: string }> {
  const res = await s.sim.command(ASKER, CHANNEL, 'diagnose');
  if (res.status !== 200) throw new Error(`diagnose answered HTTP ${res.status}`);
  const message = await s.slack.waitFor(
    () =>
      s.slack.channelMessages(CHANNEL).find((m) => {
        const b = s.support.findButton(m, 'plan_approve');
        return b && !seen.has(b.value);
      }),
    'a plan message with an Approve button',
    30_000,
  );
  const planId = s.support.findButton(message, 'plan_approve')?.value ?? '';
  seen.add(planId);
  return { message, planId };
}

function summaryIn(s: Stack, message: StoredMessage): StoredMessage | undefined {
  return s.slack.thread(CHANNEL, message.ts).find((m) => {
    const t = s.support.latestText(m);
    return /succeeded|failed|stale|cancelled/.test(t) && /After/.test(t);
  });
}

async function clusterHealthy(cluster: LocalCluster): Promise<boolean> {
  try {
    await cluster.waitHealthy(30_000);
    return true;
  } catch {
    return false;
  }
}

async function healOnce(s: Stack, k: number, seen: Set<string>, log: (l: string) => void): Promise<HealRun> {
  await breakCluster(s, k);
  const { message, planId } = await diagnose(s, seen);
  const rec = await s.store.get(planId);
  const steps = rec?.plan.steps.map((st) => st.kind) ?? [];
  const t0 = preciseClock.now();
  const click = await s.sim.click(APPROVER, message, 'plan_approve', planId);
  if (click.status !== 200) throw new Error(`approve answered HTTP ${click.status}`);
  const finished = await waitUntil(
    () => s.execEvents.find((x) => x.e.plan === planId && x.e.kind === 'finished')?.e,
    `plan ${planId} to finish`,
    180_000,
    20,
  );
  const summary = await s.slack.waitFor(() => summaryIn(s, message), 'the summary in the thread', 60_000);
  const summaryAt = Date.now();
  void summary;
  const healthyVerified = await clusterHealthy(s.cluster);
  const healthyAt = preciseClock.now();
  const events = s.execEvents.filter((x) => x.e.plan === planId).map((x) => x.e);
  const stepEvents = events.filter(
    (e) =>
      e.step >= 0 && (e.kind === 'done' || e.kind === 'skipped' || e.kind === 'failed' || e.kind === 'stale'),
  );
  const sum = (key: string) => stepEvents.reduce((a, e) => a + (e.metrics?.[key] ?? 0), 0);
  const planEv = (kind: string) => s.planEvents.find((p) => p.plan === planId && p.kind === kind)?.at;
  const queuedAt = planEv('queued') ?? planEv('approved') ?? t0;
  const runningAt =
    planEv('running') ??
    events.filter((e) => e.step >= 0).reduce((a, e) => Math.min(a, e.at), Number.POSITIVE_INFINITY);
  const totalMs = finished.at - t0;
  const redisMs = sum('redisWaitMs') + sum('gossipWaitMs');
  const approveToQueuedMs = Math.max(0, queuedAt - t0);
  const queuePickupMs = Math.max(0, runningAt - queuedAt);
  const recheckScansMs = sum('scanMs');
  const commandsMs = sum('actionMs');
  const botMs = totalMs - redisMs;
  const run: HealRun = {
    plan: planId,
    steps,
    status: finished.status ?? 'unknown',
    totalMs: Math.round(totalMs),
    redisMs: Math.round(redisMs),
    botMs: Math.round(botMs),
    bot: {
      approveToQueuedMs: Math.round(approveToQueuedMs),
      queuePickupMs: Math.round(queuePickupMs),
      recheckScansMs: Math.round(recheckScansMs),
      commandsMs: Math.round(commandsMs),
      otherMs: Math.round(botMs - approveToQueuedMs - queuePickupMs - recheckScansMs - commandsMs),
    },
    reportAfterHealMs: Math.round(summaryAt - finished.at),
    healthyVerified,
    benchSawHealthyMs: Math.round(healthyAt - t0),
    approveAckMs: round1(click.ms),
    stepMetrics: stepEvents.map((e) => ({
      step: e.step,
      kind: steps[e.step] ?? '?',
      ms: Math.round(e.ms ?? 0),
      metrics: Object.fromEntries(Object.entries(e.metrics ?? {}).map(([k2, v]) => [k2, Math.round(v)])),
    })),
  };
  log(
    `  heal ${k + 1}: ${run.status} in ${run.totalMs} ms (Redis ${run.redisMs} ms, bot ${run.botMs} ms: queued ${run.bot.approveToQueuedMs}, pickup ${run.bot.queuePickupMs}, scans ${run.bot.recheckScansMs}, commands ${run.bot.commandsMs}, other ${run.bot.otherMs}); summary +${run.reportAfterHealMs} ms; healthy: ${healthyVerified}`,
  );
  if (run.status !== 'succeeded') throw new Error(`plan ${planId} ${run.status}`);
  return run;
}

/**
 * The write-ups' repair by hand, scripted with redis-cli as fast as a shell can go: FORGET the dead id on
 * every node one after another, then `redis-cli --cluster add-node <new> <member> --cluster-slave
 * --cluster-master-id <orphaned master>`; timed until the same health check passes. The ids are given (a
 * person reads them from CLUSTER NODES first; the bot's diagnose is not timed either).
 */
async function healByHand(s: Stack, k: number): Promise<HealReference> {
  const { cluster } = s;
  const master = cluster.masters()[k];
  const replica = master ? cluster.replicasOf(master)[0] : undefined;
  if (!master || !replica) throw new Error(`no master ${k} with a replica`);
  await breakCluster(s, k);
  const fresh = cluster.byAddr(`127.0.0.1:${s.freshPorts[k]}`);
  if (!fresh) throw new Error('the fresh node is not running');
  const members = cluster.all().filter((n) => n.state === 'running' && n !== fresh && n.role !== 'spare');
  const t0 = preciseClock.now();
  for (const n of members) {
    const r = await runTool(
      'redis-cli',
      ['-h', n.host, '-p', String(n.port), 'CLUSTER', 'FORGET', master.id],
      10_000,
    );
    if (r.exitCode !== 0) throw new Error(`redis-cli CLUSTER FORGET on ${n.addr} exited ${r.exitCode}`);
  }
  const forgotMs = preciseClock.now() - t0;
  const add = await runTool(
    'redis-cli',
    ['--cluster', 'add-node', fresh.addr, replica.addr, '--cluster-slave', '--cluster-master-id', replica.id],
    120_000,
  );
  if (add.exitCode !== 0)
    throw new Error(`redis-cli --cluster add-node exited ${add.exitCode}: ${add.stdout.slice(-400)}`);
  const addedMs = preciseClock.now() - t0;
  const healthy = await clusterHealthy(cluster);
  const totalMs = preciseClock.now() - t0;
  if (!healthy) throw new Error('the cluster did not become healthy within 30 s after the hand-run steps');
  return {
    how: 'hand-run steps scripted with redis-cli (sequential FORGET, then `--cluster add-node --cluster-slave`)',
    totalMs: Math.round(totalMs),
    forgetLoopMs: Math.round(forgotMs),
    addNodeMs: Math.round(addedMs - forgotMs),
    syncAndCheckMs: Math.round(totalMs - addedMs),
  };
}

/** Bursts of `/redis status` measured while the plan runs; all their acks make the percentiles. */
const ACK_BURSTS = 4;

const burstChannels = (tag: string, concurrent: number) =>
  Array.from({ length: concurrent }, (_, i) => `C0${tag}${String(i).padStart(3, '0')}`);

/** The ack load generator (bench/ack-client.ts) in its own process: one burst at a time. */
async function startAckClient(s: Stack) {
  const { slashCommandBody } = await import('../test/support/slack-signing.ts');
  const child = fork(resolve(ROOT, 'bench/ack-client.ts'), [], { stdio: 'ignore' });
  track(child);
  const url = `http://127.0.0.1:${s.botSlackPort}/slack/events`;
  return {
    /** `text` from each of `channels` at once; each request's status and time to its response. */
    burst(channels: string[], text: string, sentAt?: number[]): Promise<AckReply[]> {
      const bodies = channels.map((ch) =>
        slashCommandBody({
          text,
          user_id: ASKER,
          channel_id: ch,
          response_url: s.slack.responseUrl(ch, ASKER),
        }),
      );
      return new Promise((done, fail) => {
        child.once('message', (m) => done(m as AckReply[]));
        child.once('exit', () => fail(new Error('the ack client exited')));
        const now = Date.now();
        if (sentAt) for (let i = 0; i < channels.length; i++) sentAt[i] = now;
        child.send({ url, secret: SECRET, bodies } satisfies AckBurst);
      });
    },
    stop: () => child.kill(),
  };
}

/** Bursts of signed `/redis status`, each from its own channels, while a heal plan runs in the worker. */
async function ackUnderLoad(s: Stack, k: number, seen: Set<string>, concurrent: number): Promise<AckResult> {
  const client = await startAckClient(s);
  try {
    return await ackBursts(s, client, k, seen, concurrent);
  } finally {
    client.stop();
  }
}

async function ackBursts(
  s: Stack,
  client: Awaited<ReturnType<typeof startAckClient>>,
  k: number,
  seen: Set<string>,
  concurrent: number,
): Promise<AckResult> {
  // A running bot has answered commands before: two bursts of `help` first, so the figures are not its JIT's first
  // compilation of the request path (the cold figure is kept apart: `firstBurstMaxMs`).
  const cold = await client.burst(burstChannels('WARMA', concurrent), 'help');
  await client.burst(burstChannels('WARMB', concurrent), 'help');
  await breakCluster(s, k);
  const { message, planId } = await diagnose(s, seen);
  const click = await s.sim.click(APPROVER, message, 'plan_approve', planId);
  if (click.status !== 200) throw new Error(`approve answered HTTP ${click.status}`);
  await waitUntil(
    () => s.planEvents.some((p) => p.plan === planId && p.kind === 'running'),
    'the plan to start running',
    30_000,
    10,
  );
  const started = Date.now();
  // First `/redis help` (answered without any I/O): what Bolt, the signature check and the ack cost alone.
  const helpAnswersBefore = s.slack.responseUrlPosts.length;
  const helpMs = (await client.burst(burstChannels('HELP', concurrent), 'help')).map((r) => r.ms);
  // Like every burst after it, the first `status` burst goes once the one before is answered (help answers
  // through each request's response_url).
  await waitUntil(
    () => s.slack.responseUrlPosts.length >= helpAnswersBefore + concurrent || undefined,
    'every help answer of the burst',
    30_000,
    10,
  ).catch(() => undefined);
  const channels = Array.from({ length: ACK_BURSTS }, (_, b) => burstChannels(`LOAD${b}`, concurrent));
  const sentAt = channels.map(() => [] as number[]);
  // When each command's answer reached Slack (its status message in its channel): polled every 10 ms, reading
  // only the messages stored since the last poll (a filter over every message per channel would take a share
  // of the CPU the bot is being timed on).
  const answeredAt = new Map<string, number>();
  const all = new Set(channels.flat());
  let read = s.slack.messages.length;
  const poll = setInterval(() => {
    const now = Date.now();
    for (; read < s.slack.messages.length; read++) {
      const m = s.slack.messages[read]!;
      if (!m.threadTs && all.has(m.channel) && !answeredAt.has(m.channel)) answeredAt.set(m.channel, now);
    }
  }, 10);
  const results: AckReply[] = [];
  let lastAck = 0;
  try {
    // Each burst once the one before is answered: every burst is 50 at once while the plan runs, not 200.
    for (let b = 0; b < ACK_BURSTS; b++) {
      results.push(...(await client.burst(channels[b]!, 'status', sentAt[b])));
      lastAck = Date.now();
      await waitUntil(
        () => channels[b]!.every((ch) => answeredAt.has(ch)),
        'every status answer of the burst',
        30_000,
        10,
      ).catch(() => undefined);
    }
  } finally {
    clearInterval(poll);
  }
  const finished = await waitUntil(
    () => s.execEvents.find((x) => x.e.plan === planId && x.e.kind === 'finished')?.e,
    `plan ${planId} to finish`,
    180_000,
    20,
  );
  const runningEv = s.planEvents.find((p) => p.plan === planId && p.kind === 'running');
  const running = runningEv !== undefined && runningEv.at <= started && finished.at >= lastAck;
  const answerMs = channels.flatMap((chs, b) =>
    chs.flatMap((ch, i) => {
      const at = answeredAt.get(ch);
      return at === undefined ? [] : [at - sentAt[b]![i]!];
    }),
  );
  await s.slack
    .waitFor(() => summaryIn(s, message), 'the summary in the thread', 60_000)
    .catch(() => undefined);
  await clusterHealthy(s.cluster);
  const ms = results.map((r) => r.ms);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    concurrent,
    bursts: ACK_BURSTS,
    command: '/redis status',
    p50Ms: round1(percentile(ms, 50)),
    p99Ms: round1(percentile(ms, 99)),
    maxMs: round1(Math.max(...ms)),
    firstBurstMaxMs: round1(Math.max(...cold.map((r) => r.ms))),
    allWithin3s: results.every((r) => r.status === 200 && r.ms < 3000),
    statuses,
    planRunningThroughout: running,
    help: {
      p50Ms: round1(percentile(helpMs, 50)),
      p99Ms: round1(percentile(helpMs, 99)),
      maxMs: round1(Math.max(...helpMs)),
    },
    answered: answerMs.length,
    answerP50Ms: answerMs.length ? Math.round(median(answerMs)) : null,
    answerMaxMs: answerMs.length ? Math.round(Math.max(...answerMs)) : null,
  };
}

/** V8 heap in use (MiB) from the process's own `GET /metrics` (prom-client default metrics). */
async function heapUsedMiB(port: number): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^redis_medic_nodejs_heap_size_used_bytes (\S+)/m.exec(text);
    return m ? round1(Number(m[1]) / 2 ** 20) : null;
  } catch {
    return null;
  }
}

/** 1,000 commands that answer through response_url (no per-channel pacing), 50 in flight at a time. */
async function thousandCommands(s: Stack, total = 1000): Promise<MemoryResult['commands']> {
  const mix = ['help', 'plans', 'audit 10', 'clusters'];
  const before = s.slack.responseUrlPosts.length;
  let next = 0;
  let acked = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const r = await s.sim.command(ASKER, CHANNEL, mix[i % mix.length]!);
        if (r.status === 200) acked++;
      }
    }),
  );
  await waitUntil(
    () => s.slack.responseUrlPosts.length - before >= total,
    '1,000 answers',
    60_000,
    100,
  ).catch(() => undefined);
  return {
    sent: total,
    acked,
    answered: s.slack.responseUrlPosts.length - before,
    mix,
    wallMs: Math.round(performance.now() - t0),
  };
}

export async function benchApp(
  opts: { healRuns?: number; log?: (l: string) => void; deadline?: number } = {},
): Promise<AppBenchResult> {
  const log = opts.log ?? (() => {});
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  let deployment =
    'bot (ROLE=bot, SLACK_MODE=http) and worker (ROLE=worker) as separate processes; control Redis; 4 masters + 4 replicas; Slack Web API stand-in';
  let s: Stack;
  try {
    s = await startStack(log);
    deployment = `${deployment}; processes run ${s.entry}`;
  } catch (err) {
    const why = `could not start bot + worker: ${errorText(err)}`;
    return {
      deployment,
      heal: { skipped: why },
      healReference: { skipped: why },
      ack: { skipped: why },
      memory: { skipped: why },
    };
  }
  try {
    await sleep(2000);
    const idleBot = rssOf(s.bot.pid);
    const idleWorker = rssOf(s.worker.pid);
    const idleHeap = { bot: await heapUsedMiB(s.botPort), worker: await heapUsedMiB(s.workerPort) };
    log(`  idle RSS: bot ${idleBot?.rssMiB} MiB, worker ${idleWorker?.rssMiB} MiB`);
    const seen = new Set<string>();
    const healRuns = opts.healRuns ?? 2;
    let heal: AppBenchResult['heal'];
    const runs: HealRun[] = [];
    try {
      for (let k = 0; k < healRuns; k++) {
        if (k > 0 && Date.now() > deadline) break;
        runs.push(await healOnce(s, k, seen, log));
      }
      heal = {
        runs,
        medianTotalMs: Math.round(median(runs.map((r) => r.totalMs))),
        medianRedisMs: Math.round(median(runs.map((r) => r.redisMs))),
        medianBotMs: Math.round(median(runs.map((r) => r.botMs))),
      };
    } catch (err) {
      heal = runs.length
        ? {
            runs,
            medianTotalMs: Math.round(median(runs.map((r) => r.totalMs))),
            medianRedisMs: Math.round(median(runs.map((r) => r.redisMs))),
            medianBotMs: Math.round(median(runs.map((r) => r.botMs))),
          }
        : { skipped: `heal failed: ${errorText(err)}` };
      log(`  heal: ${errorText(err)}`);
    }
    let ack: AppBenchResult['ack'];
    try {
      if (Date.now() > deadline) throw new Error('out of time budget');
      ack = await ackUnderLoad(s, healRuns, seen, 50);
      log(
        `  ack of 50 concurrent /redis status during a plan: p50 ${ack.p50Ms} ms, p99 ${ack.p99Ms} ms, max ${ack.maxMs} ms (plan running throughout: ${ack.planRunningThroughout})`,
      );
    } catch (err) {
      ack = { skipped: `ack bench failed: ${errorText(err)}` };
      log(`  ${ack.skipped}`);
    }
    let healReference: AppBenchResult['healReference'];
    try {
      if (Date.now() > deadline) throw new Error('out of time budget');
      healReference = await healByHand(s, healRuns + 1);
      log(
        `  by hand (scripted redis-cli): ${healReference.totalMs} ms (FORGET loop ${healReference.forgetLoopMs}, add-node ${healReference.addNodeMs}, sync + check ${healReference.syncAndCheckMs})`,
      );
    } catch (err) {
      healReference = { skipped: `reference heal failed: ${errorText(err)}` };
      log(`  ${healReference.skipped}`);
    }
    let memory: AppBenchResult['memory'];
    try {
      if (!idleBot || !idleWorker) throw new Error('RSS not readable from /proc');
      const commands = await thousandCommands(s);
      await sleep(3000);
      const bot = rssOf(s.bot.pid);
      const worker = rssOf(s.worker.pid);
      if (!bot || !worker) throw new Error('bot or worker exited');
      const heap1000 = { bot: await heapUsedMiB(s.botPort), worker: await heapUsedMiB(s.workerPort) };
      // Another 1,000: a plateau says garbage not yet collected, a second climb says a leak.
      let after2000: MemoryResult['after2000'];
      if (Date.now() < deadline) {
        await thousandCommands(s);
        await sleep(3000);
        const b2 = rssOf(s.bot.pid);
        const w2 = rssOf(s.worker.pid);
        if (b2 && w2)
          after2000 = {
            botMiB: b2.rssMiB,
            workerMiB: w2.rssMiB,
            botHeapUsedMiB: await heapUsedMiB(s.botPort),
            workerHeapUsedMiB: await heapUsedMiB(s.workerPort),
          };
      }
      memory = {
        note: `VmRSS of each node process, which runs ${s.entry}`,
        plansRunByWorker: new Set(s.execEvents.filter((x) => x.e.kind === 'finished').map((x) => x.e.plan))
          .size,
        idle: { botMiB: idleBot.rssMiB, workerMiB: idleWorker.rssMiB },
        after1000: {
          botMiB: bot.rssMiB,
          workerMiB: worker.rssMiB,
          botPeakMiB: bot.peakMiB,
          workerPeakMiB: worker.peakMiB,
        },
        commands,
        ...(after2000 ? { after2000 } : {}),
        heapUsedMiB: { idle: idleHeap, after1000: heap1000 },
      };
      log(
        `  RSS after 1,000 commands (${commands.acked} acked, ${commands.answered} answered in ${commands.wallMs} ms): bot ${bot.rssMiB} MiB (peak ${bot.peakMiB}), worker ${worker.rssMiB} MiB`,
      );
    } catch (err) {
      memory = { skipped: `memory bench failed: ${errorText(err)}` };
      log(`  ${memory.skipped}`);
    }
    return { deployment, heal, healReference, ack, memory };
  } finally {
    await stopStack(s);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchApp({ log: (l) => console.error(l) });
  console.log(JSON.stringify(r, null, 2));
}
