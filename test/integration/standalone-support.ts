/**
 * Real master/replica sets and Sentinels on loopback for the standalone tests: a master and replicas
 * (plain `redis-server`, `replicaof` in their config), and Sentinels (`redis-server <conf> --sentinel`).
 * Everything started here is stopped by `stop()` and, should the test process die, by an exit hook.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import type { ExecutorDeps } from '../../src/app/run/executor.ts';
import type { ClusterDefinition, NodeCommander } from '../../src/core/ports.ts';
import { systemClock } from '../../src/core/ports.ts';
import { parseInfo } from '../../src/core/topology/parse-info.ts';
import type { ExecEvent } from '../../src/core/types.ts';
import {
  type LocalRedis,
  pickFreePort,
  waitUntil as pollUntil,
  startRedis,
} from '../../src/sandbox/local-cluster.ts';

/** Polls until `pred` holds (the launcher's poller, with the arguments in this file's order). */
export function waitUntil(
  what: string,
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<void> {
  return pollUntil(pred, timeoutMs, what, intervalMs);
}

export function info(text: string): Record<string, string> {
  return parseInfo(text);
}

export async function replication(node: LocalRedis): Promise<Record<string, string>> {
  return info(await node.cli('INFO', 'replication'));
}

export interface ReplicationSet {
  master: LocalRedis;
  replicas: LocalRedis[];
  all(): LocalRedis[];
  /** Every replica that follows `master` has its link up. */
  waitLinked(master?: LocalRedis, replicas?: LocalRedis[]): Promise<void>;
  stop(): Promise<void>;
}

/** A master (persistence off, like write-up 004 part 1) and `replicas` replicas following it. */
export async function startReplicationSet(replicaCount = 2): Promise<ReplicationSet> {
  const started: LocalRedis[] = [];
  try {
    const master = await startRedis({});
    started.push(master);
    const replicas: LocalRedis[] = [];
    for (let i = 0; i < replicaCount; i++) {
      const r = await startRedis({ extraConfig: [`replicaof 127.0.0.1 ${master.port}`] });
      started.push(r);
      replicas.push(r);
    }
    const set: ReplicationSet = {
      master,
      replicas,
      all: () => [master, ...replicas],
      async waitLinked(m = master, rs = replicas) {
        await waitUntil(`replicas of ${m.addr} to have their link up`, async () => {
          for (const r of rs) {
            const i = await replication(r);
            if (i.role !== 'slave' || i.master_port !== String(m.port) || i.master_link_status !== 'up')
              return false;
          }
          return true;
        });
      },
      async stop() {
        await Promise.all(started.map((r) => r.stop()));
      },
    };
    await set.waitLinked();
    return set;
  } catch (err) {
    await Promise.all(started.map((r) => r.stop()));
    throw err;
  }
}

/**
 * For a file whose tests each start one replication set: `start()` starts it (and a node commander), and
 * an afterEach closes the commander and stops the set.
 */
export function useReplicationSet(replicaCount = 2): {
  start(): Promise<{ set: ReplicationSet; commander: NodeCommander }>;
} {
  let current: { set: ReplicationSet; commander: NodeCommander } | undefined;
  afterEach(async () => {
    await current?.commander.close();
    await current?.set.stop();
    current = undefined;
  });
  return {
    async start() {
      const set = await startReplicationSet(replicaCount);
      current = { set, commander: createNodeCommander({}) };
      return current;
    },
  };
}

/** Write `n` keys to the master and wait until every replica acknowledged them (WAIT): the acknowledged writes. */
export async function writeAcknowledged(
  master: LocalRedis,
  prefix: string,
  n: number,
  replicas: number,
): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const key = `${prefix}:${i}`;
    const value = `v-${i}-${Math.random().toString(36).slice(2)}`;
    const ok = await master.call('SET', key, value);
    if (ok !== 'OK') throw new Error(`SET ${key} answered ${String(ok)}`);
    written.set(key, value);
  }
  const acked = Number(await master.call('WAIT', replicas, 5000));
  if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas acknowledged the writes`);
  return written;
}

/**
 * Cut one replica off its master and keep it off: freeze it (SIGSTOP), then have the master close its
 * replication connection. Thawed later, it keeps the offset it had, whatever the master wrote since.
 */
export async function cutOff(master: LocalRedis, replica: LocalRedis): Promise<void> {
  const list = await replica.cli('CLIENT', 'LIST', 'TYPE', 'master');
  const laddr = /\bladdr=(\S+)/.exec(list)?.[1];
  if (!laddr) throw new Error(`${replica.addr} has no connection to its master: ${list}`);
  replica.freeze();
  await master.call('CLIENT', 'KILL', 'ADDR', laddr);
}

/** Keys of `expected` that `node` does not hold with the same value. */
export async function missingKeys(node: LocalRedis, expected: Map<string, string>): Promise<string[]> {
  const keys = [...expected.keys()];
  const values = (await node.call('MGET', ...keys)) as (string | null)[];
  return keys.filter((k, i) => values[i] !== expected.get(k));
}

// ---------------------------------------------------------------------------------------------------
// Sentinels

export interface Sentinels {
  addrs: string[];
  /** SENTINEL get-master-addr-by-name on each Sentinel. */
  masterAddrs(): Promise<(string | undefined)[]>;
  stop(): Promise<void>;
}

const sentinelChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of sentinelChildren) c.kill('SIGKILL');
});

/** Three (or `count`) Sentinels monitoring `master` as `name`, quorum 2; waits until they know every replica and each other. */
export async function startSentinels(
  master: LocalRedis,
  name: string,
  replicaCount: number,
  opts: { count?: number; downAfterMs?: number; cli: (addr: string, ...args: string[]) => Promise<unknown> },
): Promise<Sentinels> {
  const count = opts.count ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'redis-medic-sentinel-'));
  const children: ChildProcess[] = [];
  const addrs: string[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    for (const c of children) sentinelChildren.delete(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await pickFreePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'daemonize no',
          `dir ${dir}`,
          `logfile ${join(dir, `sentinel-${port}.log`)}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          // Long enough that Sentinel never fails over by itself during a test: the bot asks it to.
          `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 60_000}`,
          `sentinel failover-timeout ${name} 20000`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
      children.push(child);
      sentinelChildren.add(child);
      addrs.push(`127.0.0.1:${port}`);
    }
    await waitUntil(
      'the Sentinels to know every replica and each other',
      async () => {
        for (const a of addrs) {
          const masters = (await opts.cli(a, 'SENTINEL', 'MASTERS')) as string[][];
          const entry = masters.find((m) => m[1] === name);
          if (!entry) return false;
          const get = (k: string) => entry[entry.indexOf(k) + 1];
          if (Number(get('num-slaves')) < replicaCount) return false;
          if (Number(get('num-other-sentinels')) < count - 1) return false;
        }
        return true;
      },
      30_000,
      200,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    addrs,
    async masterAddrs() {
      return Promise.all(
        addrs.map(async (a) => {
          try {
            const r = (await opts.cli(a, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[] | null;
            return r ? `${r[0]}:${r[1]}` : undefined;
          } catch {
            return undefined;
          }
        }),
      );
    },
    stop,
  };
}

// ---------------------------------------------------------------------------------------------------
// The bot's side

export function definition(
  name: string,
  seeds: string[],
  extra: Partial<ClusterDefinition> = {},
): ClusterDefinition {
  return { name, seeds, auth: {}, ...extra };
}

export function executorDeps(
  def: ClusterDefinition,
  commander: NodeCommander,
  events: ExecEvent[] = [],
): ExecutorDeps {
  return {
    source: createTopologySource(def, { commander, timeoutMs: 1000, recordMetrics: false }),
    commander,
    reporter: { emit: (e) => void events.push(e) },
    clock: systemClock,
    waitTimeoutMs: 30_000,
    pollMs: 100,
  };
}

export const planCtx = (cluster: string) => ({
  cluster,
  requestedBy: 'U-ONCALL',
  now: Date.now(),
  ttlMs: 15 * 60_000,
});
