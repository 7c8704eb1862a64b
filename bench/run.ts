/**
 * `npm run bench`: every benchmark of issue 8, in one run on this machine, side by side with the reference
 * tools run in the same process at the same time. Writes `bench/results.json` (everything) and
 * `bench/results.md` (the table for the README: medians and the ratio to the reference).
 *
 * Each section degrades on its own: a missing module or a failure records `{ skipped: "why" }` and the run
 * goes on. A time budget keeps the whole run under 10 minutes: a section that would not fit is skipped.
 * Every process started (redis-server, redis-cli, bot, worker) is stopped at the end, on failure and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppBenchResult } from './app.ts';
import type { CliStartResult } from './cli-start.ts';
import type { ClusterSizeResult } from './cluster.ts';
import type { NewIpResult } from './new-ip.ts';
import type { ParseBenchResult } from './parse.ts';
import { renderMarkdown } from './report.ts';
import type { SoakPoint } from './soak.ts';
import { errorText, killAllChildren, round2 } from './util.ts';
import type { WatchScaleResult } from './watch-scale.ts';

export interface ParseSection {
  sizes: (ParseBenchResult | { nodes: number; skipped: string })[];
  /** Exponent k of time ∝ nodes^k between consecutive sizes, and the factor per 10× nodes (10^k). */
  growth: { from: number; to: number; exponent: number; per10x: number }[];
}

export interface BenchResults {
  startedAt: string;
  totalMs: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    redisServer: string;
    redisCli: string;
    /** 1-minute load average at the start and the end: above the CPU count, other work shared the machine. */
    loadAtStart: number;
    loadAtEnd?: number;
  };
  parse: ParseSection | { skipped: string };
  clusters: (ClusterSizeResult | { nodes: number; skipped: string })[];
  app: AppBenchResult | { skipped: string };
  /** Section 7: both roles' memory across 10,000 commands, with the pods' NODE_OPTIONS. */
  soak?: { nodeOptions: string; points: SoakPoint[] } | { skipped: string };
  /** 8. Every pod at a new IP: Approve → healthy vs MEET by hand (absent in runs before issue 14). */
  newIp?: (NewIpResult | { nodes: number; skipped: string })[];
  /** `redis-medic status` / `help` as processes vs `node -e 0` and redis-cli (issue 18). */
  cli?: CliStartResult | { skipped: string };
  /** Watch mode at scale: simulated 50 × 60 nodes, and real 5 × 30 (issue 18). */
  watch?: { sim: WatchScaleResult | { skipped: string }; real: WatchScaleResult | { skipped: string } };
  /** Unhandled rejections seen during the run (should be none). */
  unhandled: string[];
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Watch-mode runs: 5 minutes by default, so the p95 of CPU per interval is over 30 intervals (BENCH_WATCH_SECONDS=600 for the full 10 minutes; BENCH_WATCH_REAL_SECONDS for 5 × 30 real nodes). */
const WATCH_SIM_MS = Number(process.env.BENCH_WATCH_SECONDS ?? 300) * 1000;
const WATCH_REAL_MS = Number(process.env.BENCH_WATCH_REAL_SECONDS ?? 60) * 1000;
/**
 * BENCH_ONLY=cli,parse,app,scan,soak,newip,watch (comma-separated; scan also takes scan60 for the 60-node
 * cluster alone): run only those sections; the others are recorded as skipped. Unset: everything.
 */
const ONLY = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim()))
  : undefined;
const wanted = (...names: string[]) => !ONLY || names.some((n) => ONLY.has(n));
const notWanted = { skipped: 'not in BENCH_ONLY' };
/** Stop starting sections after this; every section also has its own bounds. */
const BUDGET_MS = 9 * 60_000 + WATCH_SIM_MS + WATCH_REAL_MS;
const BUDGET_MIN = Math.round(BUDGET_MS / 60_000);
const t0 = performance.now();
const elapsed = () => performance.now() - t0;
const log = (line: string) =>
  process.stderr.write(`[${(elapsed() / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

const unhandled: string[] = [];
process.on('unhandledRejection', (err) => {
  unhandled.push(errorText(err));
  log(`unhandled rejection: ${errorText(err)}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping every process the bench started`);
    killAllChildren();
    // 'exit' hooks (local-cluster's, ours) kill the redis-servers.
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

function version(cmd: string): string {
  try {
    return execFileSync(cmd, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown';
  }
}

/** Runs a section if the budget has room for its estimate; never throws. */
async function section<T>(
  name: string,
  estimateMs: number,
  fn: () => Promise<T>,
): Promise<T | { skipped: string }> {
  if (elapsed() + estimateMs > BUDGET_MS) {
    const why = `not run: it needs about ${Math.round(estimateMs / 1000)} s and the ${BUDGET_MIN}-minute budget had ${Math.round((BUDGET_MS - elapsed()) / 1000)} s left`;
    log(`${name}: ${why}`);
    return { skipped: why };
  }
  log(`${name}…`);
  try {
    return await fn();
  } catch (err) {
    const why = `failed: ${errorText(err)}`;
    log(`${name}: ${why}`);
    return { skipped: why };
  }
}

async function parseSection(): Promise<ParseSection> {
  let mod: typeof import('./parse.ts');
  try {
    mod = await import('./parse.ts');
  } catch (err) {
    throw new Error(`bench/parse.ts or the topology core is missing: ${errorText(err)}`);
  }
  const sizes: ParseSection['sizes'] = [];
  for (const [nodes, runs] of [
    [100, 41],
    [1000, 21],
    [5000, 9],
  ] as const) {
    try {
      const r = await mod.benchParse({ nodes, runs });
      sizes.push(r);
      log(`  ${nodes} nodes: parse ${r.parseMedianMs} ms + build/analyze ${r.buildAndAnalyzeMedianMs} ms`);
    } catch (err) {
      sizes.push({ nodes, skipped: errorText(err) });
    }
  }
  const ok = sizes.filter((s): s is ParseBenchResult => !('skipped' in s));
  const growth: ParseSection['growth'] = [];
  for (let i = 1; i < ok.length; i++) {
    const a = ok[i - 1]!;
    const b = ok[i]!;
    const ta = a.parseMedianMs + a.buildAndAnalyzeMedianMs;
    const tb = b.parseMedianMs + b.buildAndAnalyzeMedianMs;
    const exponent = Math.log(tb / ta) / Math.log(b.nodes / a.nodes);
    growth.push({ from: a.nodes, to: b.nodes, exponent: round2(exponent), per10x: round2(10 ** exponent) });
  }
  return { sizes, growth };
}

const startedAt = new Date().toISOString();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  redisServer: version('redis-server'),
  redisCli: version('redis-cli'),
  loadAtStart: round2(loadavg()[0] ?? 0),
} as BenchResults['machine'];
log(`${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${machine.redisServer}`);

const cli = !wanted('cli')
  ? notWanted
  : await section('0. CLI start', 40_000, async () =>
      (await import('./cli-start.ts')).benchCliStart({ runs: 15, log }),
    );

const parse = !wanted('parse') ? notWanted : await section('2. parse + analyze', 40_000, parseSection);

const app = !wanted('app')
  ? notWanted
  : await section('4-6. heal, ack latency, memory (bot + worker processes)', 120_000, async () => {
      let mod: typeof import('./app.ts');
      try {
        mod = await import('./app.ts');
      } catch (err) {
        throw new Error(`the app modules are not ready: ${errorText(err)}`);
      }
      // Wall-clock deadline for the app's optional parts (Date.now(), as app.ts compares).
      return mod.benchApp({ log, deadline: Date.now() + (BUDGET_MS - elapsed()) - 60_000 });
    });

const clusters: BenchResults['clusters'] = [];
let clusterMod: typeof import('./cluster.ts') | undefined;
try {
  clusterMod = await import('./cluster.ts');
} catch (err) {
  log(`1/3. scan and forget: ${errorText(err)}`);
}
for (const [masters, replicasPerMaster, estimate, forgetRuns] of [
  [3, 1, 45_000, 1],
  [10, 2, 70_000, 2],
  [20, 2, 100_000, 2],
] as const) {
  const nodes = masters * (1 + replicasPerMaster);
  if (!wanted('scan', `scan${nodes}`)) {
    clusters.push({ nodes, ...notWanted });
    continue;
  }
  if (!clusterMod) {
    clusters.push({ nodes, skipped: 'bench/cluster.ts or a module it needs could not be loaded' });
    continue;
  }
  const mod = clusterMod;
  const r = await section(`1/3. scan + forget on ${nodes} nodes`, estimate, () =>
    mod.benchClusterSize({
      masters,
      replicasPerMaster,
      runs: 9,
      frozenRuns: 3,
      cliLimitMs: 10_000,
      forgetRuns,
      log,
    }),
  );
  clusters.push('skipped' in r ? { nodes, skipped: r.skipped } : r);
}

const soak = !wanted('soak')
  ? notWanted
  : await section('7. soak: bot and worker memory across 10,000 commands', 150_000, async () => {
      const mod = await import('./soak.ts');
      const points = await mod.soak({ batches: 10, perBatch: 1000, nodeOptions: mod.POD_NODE_OPTIONS, log });
      return { nodeOptions: mod.POD_NODE_OPTIONS, points };
    });

const newIp: NonNullable<BenchResults['newIp']> = [];
for (const [masters, replicasPerMaster, estimate] of [
  [3, 1, 60_000],
  [10, 2, 180_000],
] as const) {
  const nodes = masters * (1 + replicasPerMaster);
  if (!wanted('newip')) {
    newIp.push({ nodes, ...notWanted });
    continue;
  }
  const r = await section(`8. every pod at a new IP, ${nodes} nodes`, estimate, async () => {
    const mod = await import('./new-ip.ts');
    return mod.benchNewIp({ masters, replicasPerMaster, log });
  });
  newIp.push('skipped' in r ? { nodes, skipped: r.skipped } : r);
}

const watchRun = (target: 'sim' | 'real', durationMs: number) =>
  section(`9. watch mode (${target})`, durationMs + 60_000, async () =>
    (await import('./watch-scale.ts')).benchWatchScale({
      target,
      clusters: target === 'sim' ? 50 : 5,
      nodesPerCluster: target === 'sim' ? 60 : 30,
      durationMs,
      intervalMs: 10_000,
      log,
    }),
  );
const watch = !wanted('watch', 'watch-sim', 'watch-real')
  ? { sim: notWanted, real: notWanted }
  : {
      sim: wanted('watch', 'watch-sim') ? await watchRun('sim', WATCH_SIM_MS) : notWanted,
      real: wanted('watch', 'watch-real') ? await watchRun('real', WATCH_REAL_MS) : notWanted,
    };

machine.loadAtEnd = round2(loadavg()[0] ?? 0);
const results: BenchResults = {
  startedAt,
  totalMs: Math.round(elapsed()),
  machine,
  parse,
  clusters,
  app,
  soak,
  newIp,
  cli,
  watch,
  unhandled,
};
// BENCH_OUT=<name>: bench/<name>.json and .md instead of results.* (a partial run keeps the full one's tables).
const out = process.env.BENCH_OUT ?? 'results';
writeFileSync(resolve(HERE, `${out}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(resolve(HERE, `${out}.md`), renderMarkdown(results));
log(`done in ${(results.totalMs / 1000).toFixed(0)} s: bench/${out}.json, bench/${out}.md`);
process.stdout.write(renderMarkdown(results));
// Stray handles (a stand-in socket, a pub/sub connection) must not keep the run alive.
process.exit(0);
