/**
 * Watch mode at scale: one watcher process over many clusters, every interval, for a while; measures the
 * watcher's CPU per interval (% of one core), missed intervals (a round that outlasted its interval),
 * event-loop delay (perf_hooks.monitorEventLoopDelay) and memory (RSS, V8 heap after GC) over the run.
 *
 * Targets: simulated nodes (bench/sim/resp-server.ts, in a child process: 50 × 60 nodes, some slow or frozen)
 * or real redis-server clusters (the honest cross-check: 5 × 30). The watcher is the bot's own
 * (src/app/watch/watcher.ts) with a real control Redis; only the Slack side is a recording stand-in.
 * Run alone: `npx tsx bench/watch-scale.ts [sim|real] [durationSeconds] [intervalSeconds]`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { WatchPoster } from '../src/app/watch/ports.ts';
import type { ClusterDefinition } from '../src/core/ports.ts';
import { type LocalCluster, startLocalCluster, startRedis } from '../src/sandbox/local-cluster.ts';
import type { SimScenario } from './sim/topology.ts';
import { compiledSrc, fullGc, percentile, round1, round2, sleep, srcModule } from './util.ts';

/** The watcher's modules as production runs them (compiled JavaScript, bench/util.ts), else the sources via tsx. */
async function watcherModules(log: (l: string) => void) {
  const load = <T>(js: string, ts: () => Promise<T>) => srcModule(js, ts, log);
  const [commander, scanner, watchState, watcher, ports, logger] = await Promise.all([
    load('adapters/redis/node-commander.js', () => import('../src/adapters/redis/node-commander.ts')),
    load('adapters/redis/scanner.js', () => import('../src/adapters/redis/scanner.ts')),
    load('adapters/store/watch-state.js', () => import('../src/adapters/store/watch-state.ts')),
    load('app/watch/watcher.js', () => import('../src/app/watch/watcher.ts')),
    load('core/ports.js', () => import('../src/core/ports.ts')),
    load('logger.js', () => import('../src/logger.ts')),
  ]);
  return {
    code: compiledSrc(log) ? 'compiled JavaScript' : 'sources through tsx',
    createNodeCommander: commander.createNodeCommander,
    createTopologySource: scanner.createTopologySource,
    createWatchStateStore: watchState.createWatchStateStore,
    createWatcher: watcher.createWatcher,
    systemClock: ports.systemClock,
    createLogger: logger.createLogger,
  };
}

export interface WatchScaleOptions {
  target: 'sim' | 'real';
  clusters: number;
  nodesPerCluster: number;
  durationMs: number;
  intervalMs: number;
  log: (line: string) => void;
}

export interface WatchScaleResult {
  target: string;
  clusters: number;
  nodesPerCluster: number;
  intervalMs: number;
  durationMs: number;
  rounds: number;
  /** CPU of the watcher process per interval, % of one core: median, p95 and max over the intervals. */
  cpuPctMedian: number;
  cpuPctP95: number;
  cpuPctMax: number;
  /** Wall time of one round over every cluster. */
  roundMsMedian: number;
  roundMsMax: number;
  /** Rounds that outlasted their interval (the next one started late). */
  missedIntervals: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  rssStartMiB: number;
  rssEndMiB: number;
  /** V8 heap used after a full GC, first sample after warm-up and last (flat memory: about equal). */
  heapAfterGcFirstMiB: number | null;
  heapAfterGcLastMiB: number | null;
  posts: number;
  /** What the watcher said (first lines, numbers and cluster names blanked) and how often. */
  said: Record<string, number>;
  scenario: string;
}

const MiB = 2 ** 20;

/** A WatchPoster that only counts what the watcher would say. */
function countingPoster(): WatchPoster & { posts: number; said: Map<string, number> } {
  const said = new Map<string, number>();
  const note = (lines: string[]) => {
    p.posts++;
    const first = (lines[0] ?? '').replace(/\*c\d+\*/, '*cN*').replace(/\d+(\.\d+)?( ?m?s)\b/g, 'N$2');
    said.set(first, (said.get(first) ?? 0) + 1);
  };
  const p = {
    posts: 0,
    said,
    async openIncident(i: { lines: string[] }) {
      note(i.lines);
      return { ts: `${Date.now()}.${p.posts}` };
    },
    async reply(i: { lines: string[] }) {
      note(i.lines);
      return {};
    },
    async updateRoot(i: { lines: string[] }) {
      note(i.lines);
    },
    async notice(i: { lines: string[] }) {
      note(i.lines);
    },
    async planState() {
      return null;
    },
    async clusterBusy() {
      return false;
    },
  };
  return p;
}

/** Starts the simulated nodes in a child process; resolves once they listen. */
async function startSim(s: SimScenario): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./sim/resp-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(s)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the simulated nodes exited (${code})`)));
  });
  return child;
}

/** The seeds of each target cluster, and how to stop them all. */
async function startTargets(
  o: WatchScaleOptions,
): Promise<{ seeds: string[][]; stop: () => Promise<void>; scenario: string }> {
  if (o.target === 'sim') {
    const s: SimScenario = {
      clusters: o.clusters,
      nodesPerCluster: o.nodesPerCluster,
      replicasPerMaster: 2,
      clustersWithFrozenNode: Math.ceil(o.clusters / 10),
      clustersWithSlowNode: Math.ceil(o.clusters / 10),
      slowDelayMs: 300,
      port: 6379,
    };
    const child = await startSim(s);
    const seeds = Array.from({ length: o.clusters }, (_, c) => [`127.77.${c}.1:6379`]);
    return {
      seeds,
      scenario: `simulated nodes; ${s.clustersWithFrozenNode} clusters with a frozen replica, ${s.clustersWithSlowNode} with a node answering after ${s.slowDelayMs} ms`,
      stop: async () => {
        child.stdin!.end();
        child.kill();
      },
    };
  }
  const started: LocalCluster[] = [];
  for (let c = 0; c < o.clusters; c++)
    started.push(
      await startLocalCluster({ masters: Math.floor(o.nodesPerCluster / 3), replicasPerMaster: 2 }),
    );
  return {
    seeds: started.map((c) => [c.nodes[0]!.addr]),
    scenario: 'real redis-server processes, healthy',
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}

/** One watch run; see the file comment. */
export async function benchWatchScale(o: WatchScaleOptions): Promise<WatchScaleResult> {
  const {
    createNodeCommander,
    createTopologySource,
    createWatchStateStore,
    createWatcher,
    systemClock,
    createLogger,
    code,
  } = await watcherModules(o.log);
  const targets = await startTargets(o);
  const control = await startRedis();
  const redis = new Redis(control.url, { maxRetriesPerRequest: 1 });
  const poster = countingPoster();
  const defs: ClusterDefinition[] = targets.seeds.map((seeds, i) => ({ name: `c${i}`, seeds, auth: {} }));
  const commanders = defs.map((d) => createNodeCommander(d.auth, { timeoutMs: 1000 }));
  const watcher = createWatcher({
    store: createWatchStateStore(redis, `bench-watch-${process.pid}`),
    clusters: defs.map((d, i) => ({
      name: d.name,
      source: createTopologySource(d, { commander: commanders[i]! }),
    })),
    poster,
    channel: 'CWATCH',
    intervalMs: o.intervalMs,
    graceMs: 30_000,
    clock: systemClock,
    logger: createLogger('silent'),
    owner: `bench-${process.pid}`,
  });
  const gc = fullGc();
  const heapAfterGc = () => {
    if (!gc) return null;
    gc();
    return process.memoryUsage().heapUsed / MiB;
  };
  try {
    o.log(
      `  watch ${o.target}: ${o.clusters} × ${o.nodesPerCluster} nodes, every ${o.intervalMs / 1000} s, for ${o.durationMs / 1000} s`,
    );
    await watcher.tick(); // connections, JIT, first state: not measured
    await watcher.tick();
    const heapFirst = heapAfterGc();
    const rssStart = process.memoryUsage().rss / MiB;
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const cpu: number[] = [];
    const roundMs: number[] = [];
    let missed = 0;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < o.durationMs; i++) {
      const due = t0 + i * o.intervalMs;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await watcher.tick();
      const took = performance.now() - w0;
      roundMs.push(took);
      if (took > o.intervalMs) missed++;
      // Then wait out the interval. No forced GC in between: it would cost the next round (recompiling code the
      // full GC flushed) and is not what production does; the heap is read after a full GC at start and end.
      const wait = due + o.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      const c = process.cpuUsage(c0);
      cpu.push(((c.user + c.system) / 1000 / Math.max(o.intervalMs, took)) * 100);
    }
    eld.disable();
    const heapLast = heapAfterGc();
    return {
      target: o.target,
      clusters: o.clusters,
      nodesPerCluster: o.nodesPerCluster,
      intervalMs: o.intervalMs,
      durationMs: Math.round(performance.now() - t0),
      rounds: roundMs.length,
      cpuPctMedian: round2(percentile(cpu, 50)),
      cpuPctP95: round2(percentile(cpu, 95)),
      cpuPctMax: round2(Math.max(...cpu)),
      roundMsMedian: round1(percentile(roundMs, 50)),
      roundMsMax: round1(Math.max(...roundMs)),
      missedIntervals: missed,
      eventLoopDelayP99Ms: round1(eld.percentile(99) / 1e6),
      eventLoopDelayMaxMs: round1(eld.max / 1e6),
      rssStartMiB: round1(rssStart),
      rssEndMiB: round1(process.memoryUsage().rss / MiB),
      heapAfterGcFirstMiB: heapFirst === null ? null : round1(heapFirst),
      heapAfterGcLastMiB: heapLast === null ? null : round1(heapLast),
      posts: poster.posts,
      said: Object.fromEntries(poster.said),
      scenario: `${targets.scenario}; the watcher as ${code}`,
    };
  } finally {
    await watcher.stop();
    await Promise.all(commanders.map((c) => c.close()));
    redis.disconnect();
    await control.stop();
    await targets.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [target = 'sim', seconds = '60', interval = '10'] = process.argv.slice(2);
  const real = target === 'real';
  const r = await benchWatchScale({
    target: real ? 'real' : 'sim',
    clusters: real ? 5 : 50,
    nodesPerCluster: real ? 30 : 60,
    durationMs: Number(seconds) * 1000,
    intervalMs: Number(interval) * 1000,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
