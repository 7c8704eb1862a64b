/**
 * A status scan vs `redis-cli --cluster check` on the same healthy cluster of real redis-server processes
 * (default 10 masters × 2 replicas = 30 nodes). Medians of several runs, taken in one process.
 * Run: `npx tsx bench/scan.ts [masters] [replicasPerMaster] [runs]`; `bench/run.ts` imports `benchScan`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNodeCommander } from '../src/adapters/redis/node-commander.ts';
import { scanCluster } from '../src/adapters/redis/scanner.ts';
import { analyzeTopology } from '../src/core/topology/analyze.ts';
import { startLocalCluster } from '../src/sandbox/local-cluster.ts';

export interface ScanBenchResult {
  name: 'scan-vs-redis-cli-check';
  nodes: number;
  runs: number;
  clusterStartMs: number;
  /** scanCluster + analyzeTopology with a fresh connection pool each run (what `redis-medic status` does). */
  scanMedianMs: number;
  /** The same with a warm pool (what the bot does on its second and later scans). */
  scanWarmMedianMs: number;
  /** `redis-cli --cluster check <seed>` as a process, start to exit. */
  redisCliCheckMedianMs: number;
  /** redisCliCheckMedianMs / scanMedianMs */
  ratio: number;
  nodesSeenByScan: number;
  /** With one node frozen (SIGSTOP): the scan's median, and what redis-cli did within `cliLimitMs`. */
  frozen: { scanMedianMs: number; redisCliCheck: string; cliLimitMs: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function timeRedisCliCheck(seed: string, limitMs = 60_000): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['--cluster', 'check', seed],
      { timeout: limitMs, killSignal: 'SIGKILL' },
      (err, stdout) => {
        if (err?.killed) resolve(Number.POSITIVE_INFINITY);
        else if (err) reject(new Error(`redis-cli --cluster check failed: ${err.message}\n${stdout}`));
        else resolve(performance.now() - t0);
      },
    );
  });
}

export async function benchScan(
  opts: { masters?: number; replicasPerMaster?: number; runs?: number } = {},
): Promise<ScanBenchResult> {
  const masters = opts.masters ?? 10;
  const replicasPerMaster = opts.replicasPerMaster ?? 2;
  const runs = opts.runs ?? 7;
  const t0 = performance.now();
  const cluster = await startLocalCluster({ masters, replicasPerMaster, timeoutMs: 60_000 });
  const clusterStartMs = performance.now() - t0;
  try {
    const seed = cluster.nodes[0]!.addr;
    const def = { name: 'bench', seeds: [seed], auth: {} };
    const scanMs: number[] = [];
    const warmMs: number[] = [];
    const cliMs: number[] = [];
    let seen = 0;
    const warm = createNodeCommander({});
    try {
      await scanCluster(def, { commander: warm }); // warm-up: JIT and the pool
      for (let i = 0; i < runs; i++) {
        // interleave the tools so both see the same machine load
        const a = performance.now();
        const t = await scanCluster(def);
        analyzeTopology(t);
        scanMs.push(performance.now() - a);
        seen = t.nodes.length;
        const b = performance.now();
        analyzeTopology(await scanCluster(def, { commander: warm }));
        warmMs.push(performance.now() - b);
        cliMs.push(await timeRedisCliCheck(seed));
      }
    } finally {
      await warm.close();
    }
    // One frozen node: redis-cli --cluster check never returns (platform-facts); the scan is bounded.
    const frozenNode = cluster.replicas()[0]!;
    const cliLimitMs = 5000;
    cluster.freeze(frozenNode);
    const frozenScanMs: number[] = [];
    let cliFrozen: number;
    try {
      for (let i = 0; i < 3; i++) {
        const a = performance.now();
        analyzeTopology(await scanCluster(def));
        frozenScanMs.push(performance.now() - a);
      }
      cliFrozen = await timeRedisCliCheck(seed, cliLimitMs);
    } finally {
      cluster.thaw(frozenNode);
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    const scanMedianMs = median(scanMs);
    const redisCliCheckMedianMs = median(cliMs);
    return {
      name: 'scan-vs-redis-cli-check',
      nodes: cluster.nodes.length,
      runs,
      clusterStartMs: Math.round(clusterStartMs),
      scanMedianMs: round(scanMedianMs),
      scanWarmMedianMs: round(median(warmMs)),
      redisCliCheckMedianMs: round(redisCliCheckMedianMs),
      ratio: round(redisCliCheckMedianMs / scanMedianMs),
      nodesSeenByScan: seen,
      frozen: {
        scanMedianMs: round(median(frozenScanMs)),
        redisCliCheck: Number.isFinite(cliFrozen)
          ? `returned in ${Math.round(cliFrozen)} ms`
          : `had not returned after ${cliLimitMs} ms (killed)`,
        cliLimitMs,
      },
    };
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [m, r, n] = process.argv.slice(2).map(Number);
  const result = await benchScan({
    ...(m ? { masters: m } : {}),
    ...(r !== undefined && !Number.isNaN(r) ? { replicasPerMaster: r } : {}),
    ...(n ? { runs: n } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
