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

import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import type { ClusterExecutorDeps } from '../../src/app/run/executor.ts';
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

/** Kills the first replica, waits until it is flagged failed, and returns the steps that put `spare` in its place (forget, meet, replicate). */
export async function spareReplacesDeadReplica(cluster: LocalCluster, spare: LocalNode) {
  const dead = cluster.replicas()[0]!;
  const master = cluster.nodes.find((n) => n.id === dead.masterId)!;
  await cluster.kill(dead);
  await waitForFail(cluster, dead.id);
  const live = cluster.nodes.filter((n) => n.state === 'running');
  const steps: Step[] = [
    forgetStep(dead.id),
    { kind: 'meet', addr: spare.addr, risk: 'low', sentence: `Meet ${spare.addr}`, commands: [] },
    {
      kind: 'replicate',
      addr: spare.addr,
      masterId: master.id,
      risk: 'low',
      sentence: `Make ${spare.addr} a replica of ${master.addr}`,
      commands: [],
    },
  ];
  return { dead, master, live, steps };
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
// Worker processes (test/support/worker-main.ts as a child process).

const children = new Set<ChildProcess>();

/** SIGKILLs every worker process a test started (call it in afterEach). */
export function killWorkerProcesses(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** Starts test/support/worker-main.ts as a child process; resolves once it prints READY. */
export async function startWorkerProcess(
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-main.ts'], {
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

// ---------------------------------------------------------------------------------------------------
// The queue side on a control Redis: store, audit log, queue, bus, approvals, in-process workers.

import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createEventBus } from '../../src/adapters/queue/event-bus.ts';
import { createPlanQueue, planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { type PlanWorkerOptions, startPlanWorker } from '../../src/adapters/queue/plan-worker.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import { createApprovalService } from '../../src/app/approvals.ts';
import { TEST_APPROVAL_SECRET, testRunCheck, testSealer } from './approval-kit.ts';

/** Plan store, audit log, plan queue and event bus on one control-Redis connection, under `prefix`. */
export function planBackend(redis: Redis, prefix: string, queueOpts: { backoffMs?: number } = {}) {
  return {
    store: createPlanStore(redis, { prefix }),
    audit: createAuditLog(redis, { prefix }),
    queue: createPlanQueue({ connection: redis, prefix: planQueuePrefix(prefix), ...queueOpts }),
    bus: createEventBus(redis, { prefix }),
  };
}

/** The approval service over a backend; `approvers` may approve, nobody their own plan. */
export function approvalsFor(b: ReturnType<typeof planBackend>, approvers: string[]) {
  return createApprovalService({
    store: b.store,
    queue: b.queue,
    audit: b.audit,
    bus: b.bus,
    policy: { approvers, allowSelfApproval: false },
    sealer: testSealer,
  });
}

/** An in-process plan worker on its own connection `conn`, sharing the backend's bus and audit log. */
export function startWorkerOn(
  conn: Redis,
  prefix: string,
  b: Pick<ReturnType<typeof planBackend>, 'bus' | 'audit'>,
  executorDepsFor: PlanWorkerOptions['executorDepsFor'],
  extra: Partial<PlanWorkerOptions> = {},
) {
  return startPlanWorker({
    connection: conn,
    prefix: planQueuePrefix(prefix),
    store: createPlanStore(conn, { prefix }),
    bus: b.bus,
    audit: b.audit,
    executorDepsFor,
    checkBeforeRun: testRunCheck(),
    ...extra,
  });
}

/** The environment of a worker process (test/support/worker-main.ts) for `defs` under `prefix`. */
export function workerProcessEnv(
  controlUrl: string,
  prefix: string,
  defs: ClusterDefinition[],
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CONTROL_REDIS_URL: controlUrl,
    MEDIC_PREFIX: prefix,
    MEDIC_CLUSTERS: JSON.stringify(defs),
    APPROVAL_SECRET: TEST_APPROVAL_SECRET,
    ...extra,
  };
}

/**
 * A connection to the file's control Redis (`control.current`), opened before its tests and closed after
 * them. `ignoreErrors` for a test that restarts the control Redis under it.
 */
export function useControlConnection(
  control: { readonly current: { url: string } },
  opts: { ignoreErrors?: boolean } = {},
): { readonly current: Redis } {
  let conn: Redis | undefined;
  beforeAll(() => {
    conn = new Redis(control.current.url, { maxRetriesPerRequest: null });
    if (opts.ignoreErrors) conn.on('error', () => {});
  });
  afterAll(async () => {
    await conn?.quit();
    conn = undefined;
  });
  return {
    get current(): Redis {
      if (!conn) throw new Error('the control connection is not open (read it inside a test or hook)');
      return conn;
    },
  };
}
