/**
 * Helpers for the plan/executor integration tests: executor deps on a real local cluster, keys written
 * through a real cluster client, and the checks a user would make afterwards.
 */
import { Cluster } from 'ioredis';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import type { ExecutorDeps } from '../../src/app/run/executor.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { systemClock } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import { parseInfo } from '../../src/core/topology/parse-info.ts';
import type { ExecEvent, Plan, Topology } from '../../src/core/types.ts';
import type { LocalCluster } from '../support/redis-cluster.ts';

export interface Harness {
  deps: ExecutorDeps;
  events: ExecEvent[];
  scan(): Promise<Topology>;
  close(): Promise<void>;
}

/** Executor deps on a local cluster; `extra` are addresses outside the seeds (spares, like pod IPs). */
export function harness(cluster: LocalCluster, extra: () => string[] = () => []): Harness {
  const commander = createNodeCommander({ password: cluster.password }, { timeoutMs: 1000 });
  const events: ExecEvent[] = [];
  const source = {
    scan: () =>
      createTopologySource(
        { name: 'it', seeds: cluster.addrs(), auth: { password: cluster.password } },
        { timeoutMs: 1000, commander, extraAddrs: extra() },
      ).scan(),
  };
  return {
    deps: {
      source,
      commander,
      clock: systemClock,
      reporter: { emit: (e) => void events.push(e) },
      waitTimeoutMs: 30_000,
      pollMs: 100,
    },
    events,
    scan: () => source.scan(),
    close: () => commander.close(),
  };
}

/** Runs `body` with a harness on `cluster`, closing the harness's connections whatever happens. */
export async function withHarness<T>(
  cluster: LocalCluster,
  body: (h: Harness) => Promise<T>,
  extra?: () => string[],
): Promise<T> {
  const h = harness(cluster, extra);
  try {
    return await body(h);
  } finally {
    await h.close();
  }
}

/** A plan from a fresh scan; while Redis is still spreading a change, diagnose again, as the refusal says to. */
export async function planNow(h: Harness, settleMs = 20_000): Promise<Plan> {
  const until = Date.now() + settleMs;
  for (;;) {
    const topology = await h.scan();
    const findings = analyzeTopology(topology);
    const out = planForFindings(topology, findings, {
      cluster: 'it',
      requestedBy: 'U-test',
      now: Date.now(),
      ttlMs: 900_000,
    });
    if (!out.ok && out.code === 'CLUSTER_SETTLING' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    return planOrThrow(out, findings);
  }
}

function planOrThrow(
  out: ReturnType<typeof planForFindings>,
  findings: ReturnType<typeof analyzeTopology>,
): Plan {
  if (!out.ok) {
    throw new Error(
      `expected a plan, got ${out.code}: ${out.reason}\nfindings: ${findings.map((f) => f.summary).join('; ')}`,
    );
  }
  return out.plan;
}

export const stepKinds = (p: Plan) =>
  p.steps.map((s) => (s.kind === 'failover' ? `failover:${s.mode}` : s.kind));

/** A cluster client on the live members (fail-fast enough for tests). */
export function clusterClient(cluster: LocalCluster): Cluster {
  const live = cluster.nodes.filter((n) => n.state === 'running');
  const c = new Cluster(
    live.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: { password: cluster.password, protocol: 2, connectTimeout: 1000 },
      enableOfflineQueue: true,
      maxRedirections: 32,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      clusterRetryStrategy: (times) => (times > 50 ? null : 100),
    },
  );
  c.on('error', () => {});
  return c;
}

export async function writeKeys(
  cluster: LocalCluster,
  n: number,
  prefix = 'k',
): Promise<Map<string, string>> {
  const c = clusterClient(cluster);
  const written = new Map<string, string>();
  try {
    for (let i = 0; i < n; i++) {
      const key = `${prefix}:${i}`;
      const value = `v-${i}-${Math.random().toString(36).slice(2, 8)}`;
      await c.set(key, value);
      written.set(key, value);
    }
  } finally {
    c.disconnect();
  }
  return written;
}

/** Keys whose value is not what was written (or that are gone). */
export async function missingKeys(
  cluster: LocalCluster,
  written: ReadonlyMap<string | Buffer, string>,
): Promise<string[]> {
  const c = clusterClient(cluster);
  const missing: string[] = [];
  try {
    for (const [k, v] of written) if ((await c.get(k)) !== v) missing.push(k.toString());
  } finally {
    c.disconnect();
  }
  return missing;
}

/** Until every replica of the live masters has the master's offset (no write only on a master). */
export async function waitReplicasCaughtUp(cluster: LocalCluster): Promise<void> {
  await cluster.waitFor(
    async () => {
      for (const n of cluster.all().filter((x) => x.state === 'running')) {
        const info = parseInfo(await cluster.cli(n, 'INFO', 'replication'));
        if (info.role !== 'master') continue;
        const offset = Number(info.master_repl_offset);
        for (const [k, v] of Object.entries(info)) {
          if (!/^slave\d+$/.test(k)) continue;
          const m = /offset=(\d+)/.exec(v);
          if (!m || Number(m[1]) < offset) return false;
        }
      }
      return true;
    },
    15_000,
    'replicas to catch up',
  );
}

/**
 * What a user checks: cluster_state:ok on every live member, all 16384 slots covered, no failed /
 * suspected / handshake / noaddr node, every master with at least one replica whose link is up.
 * Returns the problems found (empty: healthy).
 */
export async function userCheck(cluster: LocalCluster): Promise<string[]> {
  const problems: string[] = [];
  const masters = new Map<string, string>();
  const replicaLinks = new Map<string, number>();
  for (const n of cluster.all().filter((x) => x.state === 'running')) {
    const info = parseInfo(await cluster.cli(n, 'CLUSTER', 'INFO'));
    if (Number(info.cluster_known_nodes) <= 1) {
      problems.push(`${n.addr} is alone (not in the cluster)`);
      continue;
    }
    if (info.cluster_state !== 'ok') problems.push(`${n.addr}: cluster_state:${info.cluster_state}`);
    if (info.cluster_slots_ok !== '16384')
      problems.push(`${n.addr}: cluster_slots_ok:${info.cluster_slots_ok}`);
    const text = await cluster.cli(n, 'CLUSTER', 'NODES');
    for (const line of text.trim().split('\n')) {
      const [id, addr, flags, masterId, , , , , ...slots] = line.split(' ');
      const bad = (flags ?? '')
        .split(',')
        .filter((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f));
      if (bad.length > 0) problems.push(`${n.addr} sees ${addr} (${id?.slice(0, 8)}) as ${flags}`);
      if (flags?.includes('myself') && flags.includes('master') && slots.length > 0) masters.set(id!, n.addr);
      if (flags?.includes('myself') && flags.includes('slave')) {
        const repl = parseInfo(await cluster.cli(n, 'INFO', 'replication'));
        if (repl.master_link_status === 'up')
          replicaLinks.set(masterId!, (replicaLinks.get(masterId!) ?? 0) + 1);
      }
    }
  }
  for (const [id, addr] of masters) {
    if (!replicaLinks.get(id)) problems.push(`master ${addr} has no replica with its link up`);
  }
  return [...new Set(problems)];
}

/** Roles, masters and slots per node id, as every live member sees them: to compare before / after. */
export async function clusterShape(cluster: LocalCluster): Promise<string> {
  const out: string[] = [];
  for (const n of cluster.all().filter((x) => x.state === 'running')) {
    const text = await cluster.cli(n, 'CLUSTER', 'NODES');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => {
        const [id, addr, flags, masterId, , , , , ...slots] = l.split(' ');
        const role = flags?.includes('master') ? 'master' : 'replica';
        return `${id} ${addr?.split('@')[0]} ${role} ${masterId} ${slots.join(',')}`;
      })
      .sort();
    out.push(`${n.addr}:\n${lines.join('\n')}`);
  }
  return out.join('\n');
}

/**
 * Until `userCheck` finds nothing (`nofailover` is not a failure, unlike the sandbox's waitHealthy regex);
 * fails with the problems and what every live node says.
 */
export async function waitHealthy(cluster: LocalCluster, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problems: string[] = [];
  while (Date.now() < deadline) {
    try {
      problems = await userCheck(cluster);
      if (problems.length === 0) return;
    } catch (err) {
      problems = [err instanceof Error ? err.message : String(err)];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const lines: string[] = [];
  for (const n of cluster.all().filter((x) => x.state === 'running')) {
    try {
      lines.push(`${n.addr}:`, await cluster.cli(n, 'CLUSTER', 'NODES'));
    } catch (e) {
      lines.push(`${n.addr}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`cluster not healthy after ${timeoutMs} ms: ${problems.join('; ')}\n${lines.join('\n')}`);
}
