/** Hand-built plans for store / queue / approval tests (no planner needed). */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Plan, Step } from '../../src/core/types.ts';

export function randomPrefix(tag = 't'): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

export function planId(tag = 'p'): string {
  return `${tag}-${randomBytes(5).toString('hex')}`;
}

export function forgetStep(nodeId: string, liveAddrs: string[] = []): Step {
  return {
    kind: 'forget',
    nodeId,
    risk: 'low',
    sentence: `Forget ${nodeId.slice(0, 8)} on every live node`,
    commands: liveAddrs.map((a) => `${a} CLUSTER FORGET ${nodeId}`),
  };
}

export function makePlan(over: Partial<Plan> & { steps?: Step[] } = {}): Plan {
  const now = over.createdAt ?? Date.now();
  return {
    id: over.id ?? planId(),
    cluster: over.cluster ?? 'c1',
    title: over.title ?? 'Forget a failed node',
    fingerprint: over.fingerprint ?? 'fp',
    requestedBy: over.requestedBy ?? 'UREQ',
    createdAt: now,
    expiresAt: over.expiresAt ?? now + 15 * 60_000,
    risk: over.risk ?? 'low',
    steps: over.steps ?? [forgetStep('a'.repeat(40))],
    approvalsNeeded: over.approvalsNeeded ?? 1,
    findings: over.findings ?? [],
  };
}

export function takeoverStep(): Step {
  return {
    kind: 'failover',
    addr: '127.0.0.1:1',
    replicaId: 'b'.repeat(40),
    masterId: 'c'.repeat(40),
    mode: 'takeover',
    risk: 'high',
    sentence: 'Take over',
    commands: ['127.0.0.1:1 CLUSTER FAILOVER TAKEOVER'],
  };
}

// ---------------------------------------------------------------------------------------------------
// Real clusters: waiting for a failure, counting commands, executor deps.

import type { ClusterExecutorDeps } from '../../src/adapters/queue/plan-worker.ts';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import { type ClusterDefinition, systemClock } from '../../src/core/ports.ts';
import type { LocalCluster, LocalNode } from '../../src/sandbox/local-cluster.ts';

/** Every running member flags `id` as `fail` (not just `fail?`). */
export async function waitForFail(cluster: LocalCluster, id: string, timeoutMs = 20_000): Promise<void> {
  await cluster.waitFor(
    async () => {
      for (const n of cluster.all().filter((x) => x.state === 'running' && x.role !== 'spare')) {
        const line = (await cluster.cli(n, 'CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(id));
        const flags = line?.split(' ')[2] ?? '';
        if (!flags.split(',').includes('fail')) return false;
      }
      return true;
    },
    timeoutMs,
    `every node to flag ${id.slice(0, 8)} as fail`,
  );
}

/** `calls=` of one command in INFO commandstats (0 when never called). */
export async function commandCalls(cluster: LocalCluster, node: LocalNode, command: string): Promise<number> {
  const text = await cluster.cli(node, 'INFO', 'commandstats');
  const m = text.match(new RegExp(`cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`));
  return m ? Number(m[1]) : 0;
}

export function clusterDefinition(
  name: string,
  cluster: LocalCluster,
  extra: string[] = [],
): ClusterDefinition {
  return { name, seeds: [...cluster.addrs(), ...extra], auth: {} };
}

/** Real executor deps for a local cluster; closes its commanders on `close()`. */
export function executorDepsFactory(defs: ClusterDefinition[]) {
  const made: ClusterExecutorDeps[] = [];
  return {
    depsFor(name: string): ClusterExecutorDeps {
      const def = defs.find((d) => d.name === name);
      if (!def) throw new Error(`unknown cluster ${name}`);
      const commander = createNodeCommander(def.auth);
      const deps: ClusterExecutorDeps = {
        commander,
        source: createTopologySource(def, { commander, timeoutMs: 1000 }),
        clock: systemClock,
        waitTimeoutMs: 30_000,
      };
      made.push(deps);
      return deps;
    },
    async close() {
      for (const d of made.splice(0)) await d.commander.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Worker processes (src/adapters/queue/worker-main.ts as a child process).

const children = new Set<ChildProcess>();

/** SIGKILLs every worker process a test started (call it in afterEach). */
export function killWorkerProcesses(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** Starts src/adapters/queue/worker-main.ts as a child process; resolves once it prints READY. */
export async function startWorkerProcess(
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/adapters/queue/worker-main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'READY') resolve();
        onLine(line);
        i = buf.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before READY: ${stderr}`)));
    setTimeout(() => reject(new Error(`worker not READY after 30 s: ${stderr}`)), 30_000).unref();
  });
  return child;
}
