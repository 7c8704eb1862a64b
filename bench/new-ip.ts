/**
 * Section 7 of `npm run bench`: every pod restarted at once at a new IP (issue 14). A real cluster, each node on
 * its own loopback IP (127.X.B.N, one shared port, AOF on), is restarted on its own data dirs at new IPs twice:
 *  - redis-medic: diagnose (scan + analyze + plan), then Approve → the executor runs the re-introduction plan;
 *  - by hand, scripted as an engineer would type it: `redis-cli -h <one node> CLUSTER MEET <ip> <port>` for every
 *    other node, one after another, then wait until every node says cluster_state:ok.
 * Both are timed from the first command to cluster_state:ok on every node, and to healthy (every node lists
 * every other at its new address with no fail flag, every replica link up). Keys and ids are checked after each.
 * Run alone: `npx tsx bench/new-ip.ts [masters] [replicasPerMaster]`.
 */
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { createNodeCommander } from '../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../src/adapters/redis/scanner.ts';
import { executePlan } from '../src/app/run/executor.ts';
import { planForFindings } from '../src/core/plans/planner.ts';
import { analyzeTopology } from '../src/core/topology/analyze.ts';
import { type LocalCluster, pickSharedPort, startLocalCluster } from '../src/sandbox/local-cluster.ts';
import { errorText, preciseClock, round1, runTool, sleep } from './util.ts';

export interface NewIpRun {
  /** Scan + analyze + plan (redis-medic only). */
  diagnoseMs?: number;
  /** First command → every node says cluster_state:ok; null when it never did within the limit. */
  toStateOkMs: number | null;
  /** First command → every node lists every other at its new address, no fail flag, every replica link up. */
  toHealthyMs: number | null;
  /** What was still wrong at the limit, when it never became healthy. */
  stillWrong?: string;
  /** CLUSTER REPLICATE sent again by the plan (links that stayed down). */
  replicateAgain?: number;
  keysMissing: number;
  idsKept: boolean;
}

export interface NewIpResult {
  nodes: number;
  masters: number;
  replicasPerMaster: number;
  keys: number;
  medic: NewIpRun;
  byHand: NewIpRun;
  limitMs: number;
}

/** How long the poller waits for healthy (a hand repair may never get there: one row says so, the run goes on). */
const LIMIT_MS = 60_000;

/** Every node at its current address says cluster_state:ok; and whether the whole picture is healthy. */
async function readState(c: LocalCluster): Promise<{ stateOk: boolean; healthy: boolean; why: string[] }> {
  const addrs = new Set(c.nodes.map((n) => `${n.addr}@`));
  let stateOk = true;
  let healthy = true;
  const why: string[] = [];
  await Promise.all(
    c.nodes.map(async (n) => {
      const [info, nodes, repl] = await Promise.all([
        c.cli(n, 'CLUSTER', 'INFO'),
        c.cli(n, 'CLUSTER', 'NODES'),
        c.cli(n, 'INFO', 'replication'),
      ]);
      if (!info.includes('cluster_state:ok')) stateOk = false;
      const lines = nodes.trim().split('\n');
      for (const l of lines) {
        const [, addr = '', flags = ''] = l.split(' ');
        if (addrs.has(addr.slice(0, addr.indexOf('@') + 1)) && !/fail|handshake|noaddr/.test(flags)) continue;
        healthy = false;
        why.push(`${n.addr} lists ${addr} ${flags}`);
      }
      if (lines.length !== c.nodes.length) healthy = false;
      if (repl.includes('role:slave') && !repl.includes('master_link_status:up')) {
        healthy = false;
        why.push(`${n.addr} replica link down`);
      }
    }),
  );
  return { stateOk, healthy: healthy && stateOk, why };
}

/** Polls from `t0` until healthy (or the limit): when cluster_state:ok and healthy were first seen. */
async function watch(
  c: LocalCluster,
  t0: number,
): Promise<{ stateOk: number | null; healthy: number | null; why?: string }> {
  let stateOk: number | null = null;
  let why: string[] = [];
  while (performance.now() - t0 < LIMIT_MS) {
    try {
      const s = await readState(c);
      const at = performance.now() - t0;
      if (s.stateOk && stateOk === null) stateOk = at;
      if (s.healthy) return { stateOk: stateOk ?? at, healthy: at };
      why = s.why;
    } catch {
      // a node busy reconnecting: ask again
    }
    await sleep(50);
  }
  return { stateOk, healthy: null, why: [...new Set(why)].slice(0, 4).join('; ') };
}

/** Kill every node at once, start each again on its own dir at `hosts[i]`; wait until they lost each other. */
async function restartAt(c: LocalCluster, hosts: string[]): Promise<void> {
  await Promise.all(c.nodes.map((n) => c.kill(n)));
  await Promise.all(c.nodes.map((n, i) => c.moveNode(n, hosts[i]!)));
  await c.waitFor(
    async () => {
      const infos = await Promise.all(c.nodes.map((n) => c.cli(n, 'CLUSTER', 'INFO')));
      return infos.every((i) => i.includes('cluster_state:fail'));
    },
    60_000,
    'every restarted node to say cluster_state:fail',
  );
}

function clusterClient(c: LocalCluster): Cluster {
  const client = new Cluster(
    c.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: { protocol: 2, connectTimeout: 1000 },
      clusterRetryStrategy: (t) => (t > 20 ? null : 200),
    },
  );
  client.on('error', () => {});
  return client;
}

async function writeKeys(c: LocalCluster, n: number): Promise<Map<string, string>> {
  const client = clusterClient(c);
  const written = new Map<string, string>();
  try {
    for (let i = 0; i < n; i++) {
      written.set(`bench:ip:${i}`, `v${i}`);
      await client.set(`bench:ip:${i}`, `v${i}`);
    }
  } finally {
    client.disconnect();
  }
  return written;
}

/** Keys not readable (through a cluster client at the new addresses) and whether every node kept its id. */
async function verify(c: LocalCluster, written: Map<string, string>, ids: string[]) {
  const client = clusterClient(c);
  let keysMissing = 0;
  try {
    for (const [k, v] of written) if ((await client.get(k).catch(() => null)) !== v) keysMissing++;
  } finally {
    client.disconnect();
  }
  const now = await Promise.all(c.nodes.map((n) => c.cli(n, 'CLUSTER', 'MYID')));
  return { keysMissing, idsKept: now.every((id, i) => id === ids[i]) };
}

async function medicRun(c: LocalCluster): Promise<Omit<NewIpRun, 'keysMissing' | 'idsKept'>> {
  const commander = createNodeCommander({}, { timeoutMs: 1000 });
  try {
    const def = { name: 'bench', seeds: c.nodes.map((n) => n.addr), auth: {} };
    const source = createTopologySource(def, { commander, clock: preciseClock, recordMetrics: false });
    const d0 = performance.now();
    const topology = await source.scan();
    const findings = analyzeTopology(topology);
    const outcome = planForFindings(topology, findings, {
      cluster: 'bench',
      requestedBy: 'bench',
      now: Date.now(),
      ttlMs: 900_000,
    });
    const diagnoseMs = performance.now() - d0;
    if (!outcome.ok) throw new Error(`no plan: ${outcome.reason}`);
    if (outcome.plan.steps[0]?.kind !== 'reintroduce')
      throw new Error(`unexpected plan: ${outcome.plan.title}`);
    const t0 = performance.now();
    const watching = watch(c, t0);
    let replicateAgain = 0;
    const result = await executePlan(outcome.plan, {
      source,
      commander,
      clock: preciseClock,
      reporter: {
        emit: (e) => {
          replicateAgain += e.metrics?.replicateAgain ?? 0;
        },
      },
      waitTimeoutMs: 2 * LIMIT_MS,
      pollMs: 100,
    });
    if (result.status !== 'succeeded') throw new Error(`plan ${result.status}: ${result.detail}`);
    const seen = await watching;
    return {
      diagnoseMs: round1(diagnoseMs),
      toStateOkMs: seen.stateOk,
      toHealthyMs: seen.healthy,
      replicateAgain,
    };
  } finally {
    await commander.close();
  }
}

/** What an engineer types: MEET every other node from the first one, one command after another, then wait. */
async function byHandRun(c: LocalCluster): Promise<Omit<NewIpRun, 'keysMissing' | 'idsKept'>> {
  const [first, ...others] = c.nodes;
  const t0 = performance.now();
  const watching = watch(c, t0);
  for (const n of others) {
    const r = await runTool(
      'redis-cli',
      ['-h', first!.host, '-p', String(first!.port), 'CLUSTER', 'MEET', n.host, String(n.port)],
      10_000,
    );
    if (r.exitCode !== 0) throw new Error(`redis-cli CLUSTER MEET ${n.addr} failed: ${r.stdout}`);
  }
  const seen = await watching;
  return {
    toStateOkMs: seen.stateOk,
    toHealthyMs: seen.healthy,
    ...(seen.why ? { stillWrong: seen.why } : {}),
  };
}

export async function benchNewIp(opts: {
  masters: number;
  replicasPerMaster: number;
  keys?: number;
  log?: (l: string) => void;
}): Promise<NewIpResult> {
  const log = opts.log ?? (() => {});
  const n = opts.masters * (1 + opts.replicasPerMaster);
  // Three blocks of loopback IPs (all of 127/8 is lo on Linux): as built, the first restart, the second.
  const x = 10 + Math.floor(Math.random() * 200);
  const blocks = [1, 2, 3].map((b) => Array.from({ length: n }, (_, i) => `127.${x}.${b}.${i + 1}`));
  const port = await pickSharedPort(blocks.flat());
  const c = await startLocalCluster({
    masters: opts.masters,
    replicasPerMaster: opts.replicasPerMaster,
    hosts: blocks[0],
    port,
    appendonly: true,
    extraConfig: ['appendfsync always'],
    timeoutMs: 60_000,
  });
  try {
    const written = await writeKeys(c, opts.keys ?? 1000);
    const ids = c.nodes.map((node) => node.id);
    await restartAt(c, blocks[1]!);
    const medic = { ...(await medicRun(c)), ...(await verify(c, written, ids)) };
    log(`  ${n} nodes, redis-medic: healthy ${round1(medic.toHealthyMs ?? Number.NaN)} ms after Approve`);
    await restartAt(c, blocks[2]!);
    const byHand = { ...(await byHandRun(c)), ...(await verify(c, written, ids)) };
    log(
      `  ${n} nodes, by hand: healthy ${byHand.toHealthyMs === null ? 'never' : `${round1(byHand.toHealthyMs)} ms`}`,
    );
    const r = (x: number | null) => (x === null ? null : round1(x));
    return {
      nodes: n,
      masters: opts.masters,
      replicasPerMaster: opts.replicasPerMaster,
      keys: written.size,
      medic: { ...medic, toStateOkMs: r(medic.toStateOkMs), toHealthyMs: r(medic.toHealthyMs) },
      byHand: { ...byHand, toStateOkMs: r(byHand.toStateOkMs), toHealthyMs: r(byHand.toHealthyMs) },
      limitMs: LIMIT_MS,
    };
  } finally {
    await c.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [m = 3, r = 1] = process.argv.slice(2).map(Number);
  try {
    console.log(
      JSON.stringify(
        await benchNewIp({ masters: m, replicasPerMaster: r, log: (l) => console.error(l) }),
        null,
        2,
      ),
    );
  } catch (err) {
    console.error(errorText(err));
    process.exitCode = 1;
  }
  process.exit();
}
