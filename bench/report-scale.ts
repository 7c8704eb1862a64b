/**
 * The tables of issue 18 in `bench/results.md`: every row of the issue's table beside its anchor from the
 * same run and whether its goal held, then the CLI-start and watch-mode details.
 */
import type { AckResult } from './app.ts';
import type { CliStartResult } from './cli-start.ts';
import type { ClusterSizeResult, ScanCase } from './cluster.ts';
import type { ParseBenchResult } from './parse.ts';
import type { BenchResults } from './run.ts';
import type { WatchScaleResult } from './watch-scale.ts';

const ok = <T>(x: T | { skipped: string } | undefined): x is T =>
  typeof x === 'object' && x !== null && !('skipped' in x);
const why = (x: unknown) =>
  typeof x === 'object' && x !== null && 'skipped' in x
    ? `skipped: ${(x as { skipped: string }).skipped}`
    : 'not run';
const met = (yes: boolean) => (yes ? 'yes' : '**no**');
const ms = (x: number) => `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)} ms`;

/** Heap after GC at the end within 10 % (+ 2 MiB) of the start: no leak over the run. */
export function memoryFlat(w: WatchScaleResult): boolean | null {
  if (w.heapAfterGcFirstMiB === null || w.heapAfterGcLastMiB === null) return null;
  return w.heapAfterGcLastMiB <= w.heapAfterGcFirstMiB * 1.1 + 2;
}

function watchGoal(w: WatchScaleResult): boolean {
  return w.cpuPctP95 < 10 && w.missedIntervals === 0 && memoryFlat(w) !== false;
}

function scanRow(clusters: BenchResults['clusters']): string {
  const c60 = clusters.find((c): c is ClusterSizeResult => ok<ClusterSizeResult>(c) && c.nodes === 60);
  const s = c60 && Array.isArray(c60.scan) ? (c60.scan as ScanCase[]).find((x) => x.frozen === 0) : undefined;
  if (!s || s.referenceMedianMs === null)
    return `| healthy scan, 60 nodes | ${why(c60)} | | ≤ 0.5× redis-cli | |`;
  const r = s.scanMedianMs / s.referenceMedianMs;
  return `| healthy scan, 60 nodes, fresh pool (as the CLI) | ${ms(s.scanMedianMs)} cold, ${ms(s.scanWarmMedianMs)} warm (bot) = **${r.toFixed(2)}×** redis-cli | \`redis-cli --cluster check\` ${ms(s.referenceMedianMs)} | ≤ 0.5× redis-cli | ${met(r <= 0.5)} |`;
}

function parseRow(parse: BenchResults['parse']): string {
  const p1000 = ok(parse)
    ? parse.sizes.find((s): s is ParseBenchResult => ok<ParseBenchResult>(s) && s.nodes === 1000)
    : undefined;
  if (!p1000 || !ok(parse)) return `| parse + analyze 1,000 nodes | ${why(parse)} | | ≤ 20 ms, linear | |`;
  const k = Math.max(...parse.growth.map((g) => g.exponent));
  return `| parse + analyze a 1,000-node \`CLUSTER NODES\` | ${ms(p1000.totalMedianMs)} | time ∝ n^${k.toFixed(2)} at most (100 → 5,000 nodes) | ≤ 20 ms, linear | ${met(p1000.totalMedianMs <= 20 && k < 1.3)} |`;
}

/** The issue's table, row by row. */
export function issueTable(r: BenchResults): string[] {
  const out = [
    '### Issue 18: the figures and their goals (this run)',
    '',
    '| figure | this run | anchor (same run) | goal | met |',
    '| --- | --- | --- | --- | --- |',
  ];
  const cli = r.cli;
  out.push(
    ok<CliStartResult>(cli)
      ? `| \`redis-medic status\` as a process, healthy 6 nodes (${cli.entry}) | ${ms(cli.statusMs)} (\`help\` ${ms(cli.helpMs)}) = **${cli.statusToBare}×** \`node -e 0\` | \`node -e 0\` ${ms(cli.bareNodeMs)}; \`redis-cli --cluster check\` ${ms(cli.redisCliMs)} | ≤ 2× a bare node start | ${met(cli.statusToBare <= 2)} |`
      : `| \`redis-medic status\` as a process | ${why(cli)} | | ≤ 2× a bare node start | |`,
  );
  out.push(scanRow(r.clusters));
  const ack = ok(r.app) ? (r.app.ack as AckResult | { skipped: string }) : r.app;
  out.push(
    ok<AckResult>(ack)
      ? `| slash-command ack p99, ${ack.concurrent} concurrent while a plan runs | ${ms(ack.p99Ms)} (p50 ${ms(ack.p50Ms)}; ${ack.bursts} bursts of ${ack.concurrent}; first burst of a fresh bot: max ${ms(ack.firstBurstMaxMs)}) | Slack's limit 3,000 ms | ≤ 100 ms | ${met(ack.p99Ms <= 100)} |`
      : `| slash-command ack p99 | ${why(ack)} | | ≤ 100 ms | |`,
  );
  const sim = r.watch?.sim;
  const real = r.watch?.real;
  out.push(
    ok<WatchScaleResult>(sim)
      ? `| watch mode: ${sim.clusters} clusters × ${sim.nodesPerCluster} nodes (simulated), every ${sim.intervalMs / 1000} s, ${Math.round(sim.durationMs / 1000)} s | CPU ${sim.cpuPctMedian} % of a core (p95 ${sim.cpuPctP95} %), ${sim.missedIntervals} missed of ${sim.rounds}, heap after GC ${sim.heapAfterGcFirstMiB ?? '?'} → ${sim.heapAfterGcLastMiB ?? '?'} MiB | ${ok<WatchScaleResult>(real) ? `real ${real.clusters} × ${real.nodesPerCluster}: CPU ${real.cpuPctMedian} % (p95 ${real.cpuPctP95} %), ${real.missedIntervals} missed` : `real: ${why(real)}`} | < 10 % of one core, no missed interval, flat memory | ${met(watchGoal(sim) && (!ok<WatchScaleResult>(real) || watchGoal(real)))} |`
      : `| watch mode at scale | ${why(sim)} | | < 10 % of one core, no missed interval, flat memory | |`,
  );
  out.push(parseRow(r.parse));
  return out;
}

/** Details of the watch runs. */
export function watchTable(r: BenchResults): string[] {
  const runs = [r.watch?.sim, r.watch?.real].filter((w): w is WatchScaleResult => ok<WatchScaleResult>(w));
  if (runs.length === 0) return [];
  const out = [
    '### 7. Watch mode at scale: one watcher process, every interval',
    '',
    "The bot's own watcher (src/app/watcher.ts) with a real control Redis; Slack is a counting stand-in. Simulated",
    'nodes: bench/sim/resp-server.ts in a child process, each node with its own view, some slow or frozen.',
    "CPU is the watcher process's over each interval (% of one core); a missed interval is a round longer than it.",
    '',
    '| target | rounds | CPU median / p95 / max | round median / max | missed | event-loop delay p99 / max | RSS start → end | heap after GC first → last | posts |',
    '| --- | ---: | --- | --- | ---: | --- | --- | --- | ---: |',
  ];
  for (const w of runs)
    out.push(
      `| ${w.clusters} × ${w.nodesPerCluster} ${w.target === 'sim' ? 'simulated' : 'real redis-server'} (${w.scenario}) | ${w.rounds} | ${w.cpuPctMedian} / ${w.cpuPctP95} / ${w.cpuPctMax} % | ${ms(w.roundMsMedian)} / ${ms(w.roundMsMax)} | ${w.missedIntervals} | ${ms(w.eventLoopDelayP99Ms)} / ${ms(w.eventLoopDelayMaxMs)} | ${w.rssStartMiB} → ${w.rssEndMiB} MiB | ${w.heapAfterGcFirstMiB ?? '—'} → ${w.heapAfterGcLastMiB ?? '—'} MiB | ${w.posts} |`,
    );
  return out;
}
