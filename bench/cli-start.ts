/**
 * CLI start: `redis-medic status` and `redis-medic help` as whole processes, as an operator types them, against
 * `node -e 0` (a bare Node start) and `redis-cli --cluster check`, interleaved, on one healthy 6-node cluster.
 * Runs the shipped entry (bin/redis-medic.js → dist/cli-bundle/main.cjs, built here with scripts/build-cli.mjs).
 * Before timing, `help` and `status` run once each: each verb's V8 code cache, as any earlier run leaves it.
 * Run alone: `npx tsx bench/cli-start.ts [runs]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCluster } from '../src/sandbox/local-cluster.ts';
import { median, round1, round2 } from './util.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface CliStartResult {
  runs: number;
  /** How the CLI ran: the bundle, dist/cli, or tsx (no build). */
  entry: string;
  bareNodeMs: number;
  helpMs: number;
  statusMs: number;
  redisCliMs: number;
  /** statusMs / bareNodeMs: the goal is ≤ 2. */
  statusToBare: number;
  statusExit: number | null;
}

/** Wall time of one process run to its end (ms) and its exit code. */
function timed(file: string, args: string[]): { ms: number; code: number | null } {
  const t = performance.now();
  const r = spawnSync(file, args, { stdio: 'ignore', timeout: 30_000, cwd: ROOT });
  return { ms: performance.now() - t, code: r.status };
}

export async function benchCliStart(opts: {
  runs: number;
  log: (l: string) => void;
}): Promise<CliStartResult> {
  try {
    execFileSync(process.execPath, [resolve(ROOT, 'scripts/build-cli.mjs')], {
      stdio: 'ignore',
      timeout: 60_000,
    });
  } catch (err) {
    opts.log(`  CLI bundle not built (${String(err)}): the CLI runs from dist/cli or tsx`);
  }
  const entry = existsSync(resolve(ROOT, 'dist/cli-bundle/main.cjs'))
    ? 'bundle (dist/cli-bundle)'
    : existsSync(resolve(ROOT, 'dist/cli/main.js'))
      ? 'dist/cli (tsc)'
      : 'tsx (no build)';
  const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    const node = process.execPath;
    const bin = resolve(ROOT, 'bin/redis-medic.js');
    const seeds = cluster.addrs().join(',');
    const cases = {
      bare: [node, ['-e', '0']],
      help: [node, [bin, 'help']],
      status: [node, [bin, 'status', '--nodes', seeds]],
      redisCli: ['redis-cli', ['--cluster', 'check', cluster.nodes[0]!.addr]],
    } as const;
    const ms: Record<keyof typeof cases, number[]> = { bare: [], help: [], status: [], redisCli: [] };
    let statusExit: number | null = null;
    // Each verb's code cache (bin/redis-medic.js), as any earlier run of the CLI would have left it.
    timed(node, [bin, 'help']);
    timed(node, [bin, 'status', '--nodes', seeds]);
    for (let i = 0; i < opts.runs; i++) {
      for (const [k, [file, args]] of Object.entries(cases) as [
        keyof typeof cases,
        (typeof cases)[keyof typeof cases],
      ][]) {
        const r = timed(file, [...args]);
        ms[k].push(r.ms);
        if (k === 'status') statusExit = r.code;
      }
    }
    const m = (k: keyof typeof cases) => round1(median(ms[k]));
    const result: CliStartResult = {
      runs: opts.runs,
      entry,
      bareNodeMs: m('bare'),
      helpMs: m('help'),
      statusMs: m('status'),
      redisCliMs: m('redisCli'),
      statusToBare: round2(median(ms.status) / median(ms.bare)),
      statusExit,
    };
    opts.log(
      `  CLI start (${entry}): status ${result.statusMs} ms, help ${result.helpMs} ms, node -e 0 ${result.bareNodeMs} ms (${result.statusToBare}×), redis-cli ${result.redisCliMs} ms`,
    );
    return result;
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchCliStart({
    runs: Number(process.argv[2] ?? 15),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
