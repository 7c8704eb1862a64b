/**
 * Sections 1 and 3 of `npm run bench`, on one real cluster of a given size (started once, used for both):
 *  - scan: `scanCluster` + `analyzeTopology` vs `redis-cli --cluster check`, healthy, then with 1 and 3 frozen
 *    (SIGSTOP) replicas; the reference gets a fixed budget and is killed when it does not return;
 *  - forget spread: time between the first and the last CLUSTER FORGET of a dead node, by the executor's forget
 *    step (its `forgetSpreadMs` metric) vs the hand-run sequential `redis-cli … CLUSTER FORGET` loop.
 * Run alone: `npx tsx bench/cluster.ts [masters] [replicasPerMaster]`.
 */
import { fileURLToPath } from 'node:url';
import { createNodeCommander } from '../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../src/adapters/redis/scanner.ts';
import type { ClusterDefinition, NodeCommander, TopologySource } from '../src/core/ports.ts';
import { parseClusterNodes } from '../src/core/topology/parse-cluster-nodes.ts';
import type { ExecEvent, Plan } from '../src/core/types.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../src/sandbox/local-cluster.ts';
import { errorText, median, preciseClock, round1, runTool, srcModule, waitUntil } from './util.ts';

export interface ScanCase {
  /** 0, 1 or 3 frozen replicas. */
  frozen: number;
  runs: number;
  /** Fresh connection pool each run (what `redis-medic status` does once). */
  scanMedianMs: number;
  /** Warm pool (the bot's second and later scans). */
  scanWarmMedianMs: number;
  /** Probes the scan reported as timed out (the frozen nodes, named). */
  unreachableNamed: number;
  nodesSeen: number;
  /** Median of redis-cli --cluster check; null when it did not return within the budget. */
  referenceMedianMs: number | null;
  referenceRuns: number;
  /** What the reference did, in words. */
  reference: string;
  /** referenceMedianMs / scanMedianMs (null when the reference did not return). */
  ratio: number | null;
}

export interface ForgetCase {
  /** Nodes that received CLUSTER FORGET. */
  nodes: number;
  /** How the bot's side was measured. */
  via: 'executor forget step (forgetSpreadMs)' | 'commander fan-out (executor not available)';
  runs: number;
  spreadMedianMs: number;
  spreadsMs: number[];
  /** Whole forget step: act + verify that every node dropped the id. */
  stepMedianMs?: number;
  reference: 'sequential redis-cli loop';
  referenceRuns: number;
  referenceSpreadMedianMs: number;
  /** referenceSpreadMedianMs / spreadMedianMs */
  ratio: number;
  limitMs: 60_000;
  withinLimit: boolean;
}

export interface ClusterSizeResult {
  nodes: number;
  masters: number;
  replicasPerMaster: number;
  clusterStartMs: number;
  scan: ScanCase[] | { skipped: string };
  forget: ForgetCase | { skipped: string };
}

export interface ClusterBenchOptions {
  masters: number;
  replicasPerMaster: number;
  /** Healthy runs (each: cold scan, warm scan, reference). */
  runs?: number;
  /** Frozen runs of the scan (the reference runs once: it hangs). */
  frozenRuns?: number;
  /** Budget of the reference when nodes are frozen. */
  cliLimitMs?: number;
  /** Forget samples for the bot and for the reference (each kills one replica). */
  forgetRuns?: number;
  log?: (line: string) => void;
}

const round = round1;

async function startWithRetry(
  opts: { masters: number; replicasPerMaster: number },
  log: (l: string) => void,
) {
  // A 60-node full-mesh MEET on 2 cores can time out a MEET now and then: one more try before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalCluster({ ...opts, timeoutMs: 60_000 });
    } catch (err) {
      if (attempt >= 2) throw err;
      log(`  cluster start failed (${errorText(err)}); retrying once`);
    }
  }
}

/** The scan path as the CLI and the bot run it: compiled JavaScript (bench/util.ts), else the sources. */
async function scanModules(log: (l: string) => void) {
  const [commander, scanner, analyze] = await Promise.all([
    srcModule(
      'adapters/redis/node-commander.js',
      () => import('../src/adapters/redis/node-commander.ts'),
      log,
    ),
    srcModule('adapters/redis/scanner.js', () => import('../src/adapters/redis/scanner.ts'), log),
    srcModule('core/topology/analyze.js', () => import('../src/core/topology/analyze.ts'), log),
  ]);
  return { ...commander, ...scanner, ...analyze };
}
type ScanModules = Awaited<ReturnType<typeof scanModules>>;

/**
 * One scan + analysis: a fresh pool (as the CLI), or the bot's source (its pool and parse cache). The fresh
 * pool is closed after the clock stops and before the next measurement (the CLI closes it as it exits), so
 * no measurement pays for the one before it.
 */
async function timedScan(m: ScanModules, def: ClusterDefinition, source?: TopologySource) {
  const { analyzeTopology, createNodeCommander, scanCluster } = m;
  const fresh = source ? undefined : createNodeCommander(def.auth);
  const a = performance.now();
  const t = source ? await source.scan() : await scanCluster(def, { commander: fresh! });
  analyzeTopology(t);
  const ms = performance.now() - a;
  await fresh?.close();
  return { ms, nodes: t.nodes.length, timedOut: t.probes.filter((p) => p.outcome === 'timeout').length };
}

/** Scans before the measured ones, each way: V8 compiles the scan path on its first runs. */
const WARM_UP_SCANS = 3;

/** Redis's default `cluster-node-timeout`: the gossip rate of a production cluster (the test clusters use 1.5 s). */
const PRODUCTION_NODE_TIMEOUT_MS = 15_000;

/** Sets `cluster-node-timeout` on every node (a runtime setting); gives back the first node's value before. */
async function setNodeTimeout(cluster: LocalCluster, ms: number): Promise<string> {
  const before = (await cluster.cli(cluster.nodes[0]!, 'CONFIG', 'GET', 'cluster-node-timeout')).split(
    /\s+/,
  )[1]!;
  await Promise.all(
    cluster.nodes.map((n) => cluster.call(n, 'CONFIG', 'SET', 'cluster-node-timeout', String(ms))),
  );
  return before;
}

/** Until no node forks or syncs (a just-formed cluster's replicas still take their first copies). */
async function waitSettled(cluster: LocalCluster): Promise<void> {
  const busy = /^(rdb_bgsave_in_progress|aof_rewrite_in_progress|master_sync_in_progress):1/m;
  await waitUntil(
    async () => {
      const infos = await Promise.all(cluster.nodes.map((n) => cluster.cli(n, 'INFO')));
      return infos.every((i) => !busy.test(i) && !/^master_link_status:down/m.test(i)) || undefined;
    },
    'every node to finish syncing',
    60_000,
    100,
  );
}

async function benchScanCases(
  cluster: LocalCluster,
  opts: Required<Pick<ClusterBenchOptions, 'runs' | 'frozenRuns' | 'cliLimitMs'>>,
  log: (l: string) => void,
): Promise<ScanCase[]> {
  // Timed at production gossip rates, once the cluster has settled; the forget bench after it gets its own back.
  const before = await setNodeTimeout(cluster, PRODUCTION_NODE_TIMEOUT_MS);
  try {
    await waitSettled(cluster);
    return await scanCases(cluster, opts, log);
  } finally {
    await setNodeTimeout(cluster, Number(before));
  }
}

async function scanCases(
  cluster: LocalCluster,
  opts: Required<Pick<ClusterBenchOptions, 'runs' | 'frozenRuns' | 'cliLimitMs'>>,
  log: (l: string) => void,
): Promise<ScanCase[]> {
  const seed = cluster.nodes[0]!.addr;
  const def: ClusterDefinition = { name: 'bench', seeds: [seed], auth: {} };
  const healthyCliLimitMs = 60_000;
  const out: ScanCase[] = [];
  const m = await scanModules(log);
  const warm = m.createNodeCommander({});
  const warmSource = m.createTopologySource(def, { commander: warm });
  try {
    for (let i = 0; i < WARM_UP_SCANS; i++) {
      await timedScan(m, def); // JIT
      await timedScan(m, def, warmSource); // and the pool
    }
    for (const frozen of [0, 1, 3]) {
      // Replicas only: a frozen master would be failed over and change the cluster under the measurement.
      const toFreeze = frozen === 0 ? [] : cluster.replicas().slice(-frozen);
      for (const n of toFreeze) cluster.freeze(n);
      try {
        const runs = frozen === 0 ? opts.runs : opts.frozenRuns;
        const cold: number[] = [];
        const warmMs: number[] = [];
        const cli: number[] = [];
        let nodesSeen = 0;
        let timedOut = 0;
        let cliText = '';
        for (let i = 0; i < runs; i++) {
          // interleaved, so both tools see the same machine load
          const c = await timedScan(m, def);
          cold.push(c.ms);
          nodesSeen = c.nodes;
          timedOut = c.timedOut;
          warmMs.push((await timedScan(m, def, warmSource)).ms);
          if (frozen === 0 || i === 0) {
            const r = await runTool(
              'redis-cli',
              ['--cluster', 'check', seed],
              frozen === 0 ? healthyCliLimitMs : opts.cliLimitMs,
            );
            cli.push(r.ms);
            if (!Number.isFinite(r.ms)) {
              cliText = `did not return within ${opts.cliLimitMs / 1000} s (killed)`;
            } else {
              cliText = `returned in ${Math.round(r.ms)} ms (exit ${r.exitCode})`;
            }
          }
        }
        const finite = cli.filter(Number.isFinite);
        const refMedian = finite.length === cli.length ? median(cli) : null;
        const scanMedianMs = median(cold);
        const c: ScanCase = {
          frozen,
          runs,
          scanMedianMs: round(scanMedianMs),
          scanWarmMedianMs: round(median(warmMs)),
          unreachableNamed: timedOut,
          nodesSeen,
          referenceMedianMs: refMedian === null ? null : round(refMedian),
          referenceRuns: cli.length,
          reference: refMedian === null ? cliText : frozen === 0 ? `median of ${cli.length} runs` : cliText,
          ratio: refMedian === null ? null : round(refMedian / scanMedianMs),
        };
        out.push(c);
        log(
          `  scan, ${frozen} frozen: ${c.scanMedianMs} ms (warm ${c.scanWarmMedianMs} ms, ${timedOut} named unreachable); redis-cli: ${c.referenceMedianMs ?? c.reference}`,
        );
      } finally {
        for (const n of toFreeze) cluster.thaw(n);
      }
      if (toFreeze.length > 0) await cluster.waitHealthy(60_000);
    }
  } finally {
    await warm.close();
  }
  return out;
}

/** Every live member lists each victim as failed (what the write-ups saw before forgetting). */
async function waitFailed(cluster: LocalCluster, victims: LocalNode[], timeoutMs = 30_000): Promise<void> {
  const ids = new Set(victims.map((v) => v.id));
  const live = cluster.nodes.filter((n) => n.state === 'running');
  await waitUntil(
    async () => {
      const views = await Promise.all(live.map((n) => cluster.cli(n, 'CLUSTER', 'NODES')));
      return views.every((text) => {
        const parsed = parseClusterNodes(text);
        if (!parsed.ok) return false;
        const seen = parsed.value.filter((v) => ids.has(v.id));
        return seen.length === ids.size && seen.every((v) => v.flags.includes('fail'));
      });
    },
    'every live node to flag the killed replicas as fail',
    timeoutMs,
    100,
  );
}

async function waitForgotten(cluster: LocalCluster, id: string, timeoutMs = 30_000): Promise<void> {
  const live = cluster.nodes.filter((n) => n.state === 'running');
  await waitUntil(
    async () => {
      const views = await Promise.all(live.map((n) => cluster.cli(n, 'CLUSTER', 'NODES')));
      return views.every((v) => !v.includes(id));
    },
    `every node to drop ${id.slice(0, 8)}`,
    timeoutMs,
    100,
  );
}

/** The bot's forget: the real planner + executor when present, else the same parallel fan-out by hand. */
async function botForget(
  cluster: LocalCluster,
  victim: LocalNode,
  commander: NodeCommander,
): Promise<{ spreadMs: number; stepMs?: number; nodes: number; via: ForgetCase['via'] }> {
  const def: ClusterDefinition = { name: 'bench', seeds: cluster.addrs(), auth: {} };
  const source = createTopologySource(def, { commander, clock: preciseClock });
  let executor: typeof import('../src/app/run/executor.ts') | undefined;
  let plans: typeof import('../src/core/plans/index.ts') | undefined;
  try {
    executor = await import('../src/app/run/executor.ts');
    plans = await import('../src/core/plans/index.ts');
  } catch {
    executor = undefined;
  }
  if (executor && plans) {
    const topology = await source.scan();
    const outcome = plans.planForAction(
      topology,
      { kind: 'forget', node: victim.id },
      { cluster: 'bench', requestedBy: 'bench', now: Date.now(), ttlMs: 15 * 60_000 },
    );
    if (!outcome.ok) throw new Error(`planner refused to forget ${victim.addr}: ${outcome.reason}`);
    const plan: Plan = outcome.plan;
    const events: ExecEvent[] = [];
    const result = await executor.executePlan(plan, {
      source,
      commander,
      clock: preciseClock,
      reporter: { emit: (e) => void events.push(e) },
    });
    if (result.status !== 'succeeded') throw new Error(`forget plan ${result.status}: ${result.detail}`);
    const idx = plan.steps.findIndex((s) => s.kind === 'forget');
    const done = events.find((e) => e.step === idx && e.kind === 'done');
    const spread = done?.metrics?.forgetSpreadMs;
    if (spread === undefined) throw new Error('the forget step reported no forgetSpreadMs');
    return {
      spreadMs: spread,
      ...(done?.ms !== undefined ? { stepMs: done.ms } : {}),
      nodes: done?.metrics?.forgetNodes ?? 0,
      via: 'executor forget step (forgetSpreadMs)',
    };
  }
  // Fallback: the executor's fan-out at the commander level (every live node at once).
  const targets = cluster.nodes.filter((n) => n.state === 'running' && n !== victim);
  const replies: number[] = [];
  await Promise.all(
    targets.map(async (n) => {
      await commander.call(n.addr, ['CLUSTER', 'FORGET', victim.id]);
      replies.push(preciseClock.now());
    }),
  );
  return {
    spreadMs: Math.max(...replies) - Math.min(...replies),
    nodes: targets.length,
    via: 'commander fan-out (executor not available)',
  };
}

/** What the write-ups did by hand, scripted: one `redis-cli CLUSTER FORGET` after another. */
async function sequentialForget(cluster: LocalCluster, victim: LocalNode): Promise<number> {
  const targets = cluster.nodes.filter((n) => n.state === 'running' && n !== victim);
  const at: number[] = [];
  for (const n of targets) {
    const r = await runTool(
      'redis-cli',
      ['-h', n.host, '-p', String(n.port), 'CLUSTER', 'FORGET', victim.id],
      10_000,
    );
    if (!Number.isFinite(r.ms)) throw new Error(`redis-cli FORGET on ${n.addr} hung`);
    at.push(performance.now());
  }
  return Math.max(...at) - Math.min(...at);
}

async function benchForget(
  cluster: LocalCluster,
  runs: number,
  log: (l: string) => void,
): Promise<ForgetCase> {
  // Replicas of different masters, from the end (the scan cases froze those and thawed them again).
  const replicas = cluster.replicas();
  const victims = replicas.slice(0, Math.min(replicas.length, 2 * runs));
  const mine = victims.filter((_, i) => i % 2 === 0);
  const theirs = victims.filter((_, i) => i % 2 === 1);
  await Promise.all(victims.map((v) => cluster.kill(v)));
  await waitFailed(cluster, victims);
  const commander = createNodeCommander({});
  const spreads: number[] = [];
  const steps: number[] = [];
  let nodes = 0;
  let via: ForgetCase['via'] = 'executor forget step (forgetSpreadMs)';
  try {
    for (const v of mine) {
      const r = await botForget(cluster, v, commander);
      spreads.push(r.spreadMs);
      if (r.stepMs !== undefined) steps.push(r.stepMs);
      nodes = r.nodes;
      via = r.via;
      await waitForgotten(cluster, v.id);
    }
  } finally {
    await commander.close();
  }
  const refSpreads: number[] = [];
  for (const v of theirs) {
    refSpreads.push(await sequentialForget(cluster, v));
    await waitForgotten(cluster, v.id);
  }
  const spreadMedianMs = median(spreads);
  const referenceSpreadMedianMs = median(refSpreads);
  const c: ForgetCase = {
    nodes,
    via,
    runs: spreads.length,
    spreadMedianMs: round(spreadMedianMs),
    spreadsMs: spreads.map(round),
    ...(steps.length ? { stepMedianMs: round(median(steps)) } : {}),
    reference: 'sequential redis-cli loop',
    referenceRuns: refSpreads.length,
    referenceSpreadMedianMs: round(referenceSpreadMedianMs),
    ratio: round(referenceSpreadMedianMs / Math.max(spreadMedianMs, 0.1)),
    limitMs: 60_000,
    withinLimit: spreadMedianMs < 60_000,
  };
  log(
    `  forget on ${nodes} nodes: spread ${c.spreadMedianMs} ms (${via}); sequential redis-cli loop: ${c.referenceSpreadMedianMs} ms`,
  );
  return c;
}

export async function benchClusterSize(opts: ClusterBenchOptions): Promise<ClusterSizeResult> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const cluster = await startWithRetry(opts, log);
  const clusterStartMs = Math.round(performance.now() - t0);
  const nodes = cluster.nodes.length;
  log(`  ${nodes}-node cluster up in ${clusterStartMs} ms`);
  try {
    let scan: ClusterSizeResult['scan'];
    try {
      scan = await benchScanCases(
        cluster,
        { runs: opts.runs ?? 5, frozenRuns: opts.frozenRuns ?? 3, cliLimitMs: opts.cliLimitMs ?? 10_000 },
        log,
      );
    } catch (err) {
      scan = { skipped: `scan bench failed: ${errorText(err)}` };
      log(`  ${scan.skipped}`);
      for (const n of cluster.nodes) cluster.thaw(n);
      await cluster.waitHealthy(60_000).catch(() => undefined);
    }
    let forget: ClusterSizeResult['forget'];
    try {
      forget = await benchForget(cluster, opts.forgetRuns ?? 2, log);
    } catch (err) {
      forget = { skipped: `forget bench failed: ${errorText(err)}` };
      log(`  ${forget.skipped}`);
    }
    return {
      nodes,
      masters: opts.masters,
      replicasPerMaster: opts.replicasPerMaster,
      clusterStartMs,
      scan,
      forget,
    };
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [m = 3, r = 1] = process.argv.slice(2).map(Number);
  const result = await benchClusterSize({
    masters: m,
    replicasPerMaster: r,
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(result, null, 2));
}
