/** One redis-server process: its config, spawning it and waiting until it (and nobody else) answers. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clients, callOn, render } from './node-client.ts';
import { pickFreePort } from './ports.ts';
import { track } from './processes.ts';
import { waitUntil } from './wait-until.ts';

export type LocalNodeRole = 'master' | 'replica' | 'spare' | 'fresh' | 'standalone';
export type LocalNodeState = 'running' | 'frozen' | 'killed';

/** One redis-server process we started. Mutable: `pid`/`state` change on kill, freeze, restart. */
export interface LocalNode {
  host: string;
  port: number;
  /** `host:port` */
  addr: string;
  /** Cluster node id (40 hex); '' for a non-cluster server. Changes only through `replaceNode`. */
  id: string;
  /** The role it was started with (not its current role: see `LocalCluster.roleOf`). */
  role: LocalNodeRole;
  /** For a replica as built: the id of its master. */
  masterId?: string;
  pid: number;
  state: LocalNodeState;
  /** Its working directory (redis.conf, nodes.conf, redis.log). */
  dir: string;
}

/** How to start one server. */
export interface ServerSpec {
  host: string;
  port?: number;
  dir: string;
  cluster: boolean;
  nodeTimeoutMs: number;
  password?: string;
  appendonly?: boolean;
  extraConfig?: string[];
}

function configText(spec: ServerSpec, port: number, dir: string): string {
  const lines = [
    `port ${port}`,
    `bind ${spec.host}`,
    'protected-mode no',
    'daemonize no',
    `dir ${dir}`,
    `logfile ${join(dir, 'redis.log')}`,
    `pidfile ${join(dir, 'redis.pid')}`,
    'save ""',
    `appendonly ${spec.appendonly ? 'yes' : 'no'}`,
    'repl-diskless-sync-delay 0',
    'loglevel notice',
  ];
  if (spec.cluster) {
    lines.push(
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      `cluster-node-timeout ${spec.nodeTimeoutMs}`,
      // On a second loopback address (127.0.0.20 standing in for a pod) peers must see that address, not 127.0.0.1.
      `cluster-announce-ip ${spec.host}`,
      `bind-source-addr ${spec.host}`,
    );
  }
  if (spec.password) lines.push(`requirepass ${spec.password}`, `masterauth ${spec.password}`);
  lines.push(...(spec.extraConfig ?? []));
  return `${lines.join('\n')}\n`;
}

/** The server died (or another one answers at its port) before it was ready: worth a retry on a fresh port. */
class ExitedEarly extends Error {}

/** "Exited at start", with the last lines of the server's own log: why it would not start. */
function exitedAtStart(host: string, port: number, dir: string): ExitedEarly {
  let tail: string;
  try {
    tail = readFileSync(join(dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-6).join(' | ');
  } catch {
    tail = 'no redis.log';
  }
  return new ExitedEarly(`redis-server on ${host}:${port} exited at start: ${tail}`);
}

/** Spawn redis-server with `dir/redis.conf`; resolves when it answers PING. Rejects if it exits first. */
export async function spawnServer(
  spec: ServerSpec,
  port: number,
  dir: string,
  clients: Clients,
): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, configText(spec, port, dir));
  const child = spawn('redis-server', [conf], { stdio: 'ignore' });
  if (!child.pid) {
    await new Promise((r) => child.once('error', r));
    throw new Error('could not spawn redis-server: is it installed?');
  }
  track(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitUntil(
      async () => {
        if (exited) throw exitedAtStart(spec.host, port, dir);
        const pong = await callOn(clients, spec.host, port, spec.password, ['PING']);
        if (pong !== 'PONG') return false;
        // Another process's server may have taken the port meanwhile: only our own child counts.
        const info = String(await callOn(clients, spec.host, port, spec.password, ['INFO', 'server']));
        const pid = /process_id:(\d+)/.exec(info)?.[1];
        if (pid !== undefined && Number(pid) !== child.pid)
          throw new ExitedEarly(`${spec.host}:${port} is answered by another redis-server (pid ${pid})`);
        return true;
      },
      10_000,
      `redis-server on ${spec.host}:${port} to answer PING`,
      20,
    );
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw exited ? exitedAtStart(spec.host, port, dir) : err;
  }
  return child;
}

/** Start a server; when no port is given, retry on a fresh port if the one picked was taken meanwhile. */
export async function startServer(
  spec: ServerSpec,
  role: LocalNodeRole,
  clients: Clients,
): Promise<{ node: LocalNode; child: ChildProcess }> {
  for (let attempt = 0; ; attempt++) {
    const port = spec.port ?? (await pickFreePort(spec.host));
    const dir = join(spec.dir, `node-${spec.host}-${port}`);
    rmSync(dir, { recursive: true, force: true });
    try {
      const child = await spawnServer(spec, port, dir, clients);
      const id = spec.cluster
        ? render(await callOn(clients, spec.host, port, spec.password, ['CLUSTER', 'MYID']))
        : '';
      const node: LocalNode = {
        host: spec.host,
        port,
        addr: `${spec.host}:${port}`,
        id,
        role,
        pid: child.pid!,
        state: 'running',
        dir,
      };
      return { node, child };
    } catch (err) {
      if (spec.port !== undefined || attempt >= 4 || !(err instanceof ExitedEarly)) throw err;
    }
  }
}
