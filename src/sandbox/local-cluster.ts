/**
 * Real `redis-server` processes on loopback, for tests, the sandbox and the benches.
 *
 * Every process started here is registered in a process-wide table and killed (SIGCONT, then SIGKILL)
 * on `stop()`, on process exit, on SIGINT/SIGTERM, and — if this process itself is SIGKILLed — by a tiny
 * detached `sh` watchdog that notices the parent is gone. Ports are picked at run time: a data port
 * below 22000 whose bus port (+10000) is free too, so parallel test workers never clash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseInfo } from '../core/topology/parse-info.ts';

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

export interface StartClusterOptions {
  masters: number;
  replicasPerMaster: number;
  /** Extra cluster-enabled nodes started empty, not met (for join / takeover scenarios). */
  spares?: number;
  host?: string;
  /** cluster-node-timeout; default 1500. */
  nodeTimeoutMs?: number;
  /** requirepass + masterauth on every node. */
  password?: string;
  /** Extra redis.conf lines for every node, e.g. `cluster-replica-no-failover yes`. */
  extraConfig?: string[];
  /** Parent directory for the node directories; default a fresh temp dir (removed on stop). */
  dir?: string;
  /** Skip waiting for the cluster to be healthy (default false). */
  noWait?: boolean;
  /** How long to wait for the cluster to form; default 30 s. */
  timeoutMs?: number;
  /** One host per member (masters first, then replicas, then spares), like pods with their own IPs. */
  hosts?: string[];
  /** One data port for every node (with `hosts`, as pods share a container port). */
  port?: number;
  /** appendonly yes on every node. */
  appendonly?: boolean;
}

export interface FreshNodeOptions {
  host?: string;
  port?: number;
  extraConfig?: string[];
}

export interface LocalCluster {
  /** The members as built: masters first, then replicas. */
  readonly nodes: LocalNode[];
  readonly spares: LocalNode[];
  readonly host: string;
  readonly password?: string;
  readonly dir: string;
  /** Every process this cluster ever started (members, spares, fresh and replacement nodes). */
  all(): LocalNode[];
  masters(): LocalNode[];
  replicas(): LocalNode[];
  /** The replicas (as built) of a master (as built). */
  replicasOf(master: LocalNode): LocalNode[];
  /** Seeds for a scan: `host:port` of every member as built. */
  addrs(): string[];
  byAddr(addr: string): LocalNode | undefined;
  /** SIGKILL (SIGCONT first when frozen); resolves once the process is gone. */
  kill(node: LocalNode): Promise<void>;
  /** SIGSTOP: the node keeps its sockets but never answers. */
  freeze(node: LocalNode): void;
  /** SIGCONT. */
  thaw(node: LocalNode): void;
  /** A new empty cluster-enabled node (new id), like a restarted pod; not met. */
  startFreshNode(opts?: FreshNodeOptions): Promise<LocalNode>;
  /** Kill, then a fresh node on the same host:port with an empty dir: new id, knows only itself. */
  replaceNode(node: LocalNode): Promise<LocalNode>;
  /** Kill, then start again with the same dir and nodes.conf (same id; data lost unless persisted). */
  restartNode(node: LocalNode): Promise<void>;
  /** Kill, then start again with the same dir at `host` (same port), announcing `host`: a pod back at a new IP. */
  moveNode(node: LocalNode, host: string): Promise<void>;
  /** Send one command; replies are rendered as text (arrays one item per line, like redis-cli). */
  cli(node: LocalNode | string, ...args: (string | number)[]): Promise<string>;
  /** Send one command; the raw ioredis reply. */
  call(node: LocalNode | string, ...args: (string | number)[]): Promise<unknown>;
  /** Current role from `ROLE`. */
  roleOf(node: LocalNode): Promise<'master' | 'replica'>;
  /** Poll `pred` every `intervalMs` (default 50) until it returns true; throws after `timeoutMs`. */
  waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what?: string): Promise<void>;
  /** Every running member that knows other nodes: cluster_state:ok, no fail/pfail/handshake flags, replica links up. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kill every process this cluster started and remove its dir (unless `dir` was given). */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  host?: string;
  port?: number;
  appendonly?: boolean;
  password?: string;
  extraConfig?: string[];
  dir?: string;
}

/** A single non-cluster redis-server (control Redis, standalone tests). */
export interface LocalRedis {
  readonly node: LocalNode;
  readonly host: string;
  readonly port: number;
  readonly addr: string;
  /** `redis://[:password@]host:port` */
  readonly url: string;
  cli(...args: (string | number)[]): Promise<string>;
  call(...args: (string | number)[]): Promise<unknown>;
  kill(): Promise<void>;
  freeze(): void;
  thaw(): void;
  /** Kill and start again with the same dir (keeps AOF/RDB data when persistence is on). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Process registry and cleanup

interface Tracked {
  child: ChildProcess;
  frozen: boolean;
}
const tracked = new Map<number, Tracked>();
const ownedDirs = new Set<string>();
const reservedPorts = new Set<string>();
let hooksInstalled = false;
let rootDir: string | undefined;

/** Process-wide root: `<tmp>/redis-medic-lc-XXXX/`, holding `pids/` markers for the watchdog. */
function root(): string {
  if (rootDir) return rootDir;
  rootDir = mkdtempSync(join(tmpdir(), 'redis-medic-lc-'));
  mkdirSync(join(rootDir, 'pids'));
  installHooks(rootDir);
  return rootDir;
}

function killAllSync(): void {
  for (const [pid, t] of tracked) {
    try {
      if (t.frozen) process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tracked.clear();
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
  if (rootDir) rmSync(rootDir, { recursive: true, force: true });
}

function installHooks(dir: string): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync();
      // Only exit ourselves when nobody else (e.g. the sandbox) handles the signal.
      if (process.listenerCount(sig) <= 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.on(sig, onSignal);
  }
  // The watchdog: if this process dies without running its exit hooks (SIGKILL), kill what we started.
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for p in $(ls "${dir}/pids" 2>/dev/null); do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; rm -rf "${dir}"`;
  const dog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  dog.unref();
}

function track(child: ChildProcess): void {
  const pid = child.pid!;
  tracked.set(pid, { child, frozen: false });
  writeFileSync(join(root(), 'pids', String(pid)), '');
  child.once('exit', () => untrack(pid));
}

function untrack(pid: number): void {
  tracked.delete(pid);
  try {
    if (rootDir) unlinkSync(join(rootDir, 'pids', String(pid)));
  } catch {
    // already removed
  }
}

// ---------------------------------------------------------------------------------------------------
// Ports

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Data ports are drawn from this range (bus ports +10000, so data ports stay below 22000: the bus ports then stay
 * under the ephemeral range). The sandbox uses all of it; tests give each vitest worker its own slice
 * (test/support/port-slice.ts), so two processes never reuse a port the other's nodes still gossip to.
 */
let portRange = { min: 10_000, max: 21_999 };

/** The ports this process draws from. */
export function getPortRange(): { min: number; max: number } {
  return { ...portRange };
}

/** Narrows the ports this process draws from (inclusive; within 1024..21999). */
export function setPortRange(range: { min: number; max: number }): void {
  if (!(range.min >= 1024 && range.max <= 21_999 && range.max - range.min >= 10))
    throw new Error(
      `port range ${range.min}-${range.max} must lie within 1024-21999 and hold 10 ports or more`,
    );
  portRange = { ...range };
}

/** A data port < 22000 such that it and its bus port (+10000) are free on `host`. */
export async function pickFreePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = portRange.min + Math.floor(Math.random() * (portRange.max - portRange.min));
    const key = `${host}:${port}`;
    if (
      reservedPorts.has(key) ||
      reservedPorts.has(`${host}:${port + 10_000}`) ||
      reservedPorts.has(`${host}:${port - 10_000}`)
    )
      continue;
    if ((await canBind(host, port)) && (await canBind(host, port + 10_000))) {
      reservedPorts.add(key);
      return port;
    }
  }
  throw new Error(`no free port pair in ${portRange.min}-${portRange.max} on ${host}`);
}

/** A data port free (with its bus port) on every one of `hosts`: pods at several IPs sharing one container port. */
export async function pickSharedPort(hosts: string[]): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await pickFreePort(hosts[0]);
    let free = true;
    for (const h of hosts.slice(1)) {
      if (!(await canBind(h, port)) || !(await canBind(h, port + 10_000))) free = false;
    }
    if (free) {
      for (const h of hosts) reservedPorts.add(`${h}:${port}`);
      return port;
    }
  }
  throw new Error(`no data port free on all of ${hosts.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------
// Talking to a node (fail-fast, one cached connection per addr per owner)

type Clients = Map<string, Redis>;

function clientFor(clients: Clients, host: string, port: number, password?: string): Redis {
  const key = `${host}:${port}`;
  let c = clients.get(key);
  if (c && (c.status === 'end' || c.status === 'close')) {
    clients.delete(key);
    c = undefined;
  }
  if (!c) {
    c = new Redis({
      host,
      port,
      password,
      lazyConnect: true,
      connectTimeout: 1000,
      commandTimeout: 3000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      protocol: 2,
    });
    c.on('error', () => {});
    clients.set(key, c);
  }
  return c;
}

async function callOn(
  clients: Clients,
  host: string,
  port: number,
  password: string | undefined,
  args: (string | number)[],
): Promise<unknown> {
  const c = clientFor(clients, host, port, password);
  try {
    if (c.status === 'wait') await c.connect();
    const [cmd, ...rest] = args;
    return await c.call(String(cmd), ...rest);
  } catch (err) {
    // Drop a broken connection so the next call reconnects.
    if (!(err instanceof Error && err.name === 'ReplyError')) {
      c.disconnect();
      clients.delete(`${host}:${port}`);
    }
    throw err;
  }
}

function render(reply: unknown): string {
  if (reply === null || reply === undefined) return '';
  if (Array.isArray(reply)) return reply.map(render).join('\n');
  if (Buffer.isBuffer(reply)) return reply.toString();
  return String(reply);
}

function closeClients(clients: Clients): void {
  for (const c of clients.values()) c.disconnect();
  clients.clear();
}

/** Polls `pred` until it holds; past the deadline, throws naming `what` and the last error seen. */
export async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      if (await pred()) return;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------
// Starting one redis-server

interface ServerSpec {
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

/** Spawn redis-server with `dir/redis.conf`; resolves when it answers PING. Rejects if it exits first. */
async function spawnServer(
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
        if (exited) throw new ExitedEarly(`redis-server on ${spec.host}:${port} exited at start`);
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
    throw exited ? new ExitedEarly(`redis-server on ${spec.host}:${port} exited at start`) : err;
  }
  return child;
}

class ExitedEarly extends Error {}

/** Start a server; when no port is given, retry on a fresh port if the one picked was taken meanwhile. */
async function startServer(
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

async function killChild(child: ChildProcess | undefined, node: LocalNode): Promise<void> {
  if (node.state === 'killed') return;
  const t = tracked.get(node.pid);
  try {
    if (node.state === 'frozen' || t?.frozen) process.kill(node.pid, 'SIGCONT');
  } catch {
    // gone
  }
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  }
  untrack(node.pid);
  node.state = 'killed';
}

// ---------------------------------------------------------------------------------------------------
// Cluster

function splitSlots(masters: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < masters; i++) {
    const start = Math.floor((i * 16384) / masters);
    const end = Math.floor(((i + 1) * 16384) / masters) - 1;
    out.push([start, end]);
  }
  return out;
}

export async function startLocalCluster(opts: StartClusterOptions): Promise<LocalCluster> {
  const host = opts.host ?? '127.0.0.1';
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 1500;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(root(), 'cluster-'));
  if (ownDir) ownedDirs.add(dir);
  else mkdirSync(dir, { recursive: true });
  const clients: Clients = new Map();
  const children = new Map<LocalNode, ChildProcess>();
  const everything: LocalNode[] = [];
  const password = opts.password;
  const baseSpec: ServerSpec = {
    host,
    dir,
    cluster: true,
    nodeTimeoutMs,
    password,
    extraConfig: opts.extraConfig,
    appendonly: opts.appendonly,
  };

  const launch = async (role: LocalNodeRole, spec: Partial<ServerSpec> = {}): Promise<LocalNode> => {
    const { node, child } = await startServer({ ...baseSpec, ...spec }, role, clients);
    children.set(node, child);
    everything.push(node);
    child.once('exit', () => {
      if (node.state !== 'killed') node.state = 'killed';
    });
    return node;
  };

  const toNode = (n: LocalNode | string): { host: string; port: number } => {
    if (typeof n !== 'string') return n;
    const i = n.lastIndexOf(':');
    return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
  };
  const call = (n: LocalNode | string, ...args: (string | number)[]) => {
    const t = toNode(n);
    return callOn(clients, t.host, t.port, password, args);
  };
  const cli = async (n: LocalNode | string, ...args: (string | number)[]) => render(await call(n, ...args));

  /** Same dir and nodes.conf, at `newHost` (the same host for a plain restart), same port. */
  const restartAt = async (node: LocalNode, newHost: string) => {
    await killChild(children.get(node), node);
    clients.get(node.addr)?.disconnect();
    clients.delete(node.addr);
    const spec: ServerSpec = { ...baseSpec, host: newHost, port: node.port };
    const child = await spawnServer(spec, node.port, node.dir, clients);
    children.set(node, child);
    if (newHost !== node.host) {
      reservedPorts.add(`${newHost}:${node.port}`);
      node.host = newHost;
      node.addr = `${newHost}:${node.port}`;
    }
    node.pid = child.pid!;
    node.state = 'running';
    child.once('exit', () => {
      node.state = 'killed';
    });
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    closeClients(clients);
    await Promise.all(everything.map((n) => killChild(children.get(n), n)));
    if (ownDir) {
      rmSync(dir, { recursive: true, force: true });
      ownedDirs.delete(dir);
    }
    for (const n of everything) reservedPorts.delete(n.addr);
  };

  const nMasters = opts.masters;
  const nReplicas = opts.masters * opts.replicasPerMaster;
  const nSpares = opts.spares ?? 0;
  try {
    const roles: LocalNodeRole[] = [
      ...Array<LocalNodeRole>(nMasters).fill('master'),
      ...Array<LocalNodeRole>(nReplicas).fill('replica'),
      ...Array<LocalNodeRole>(nSpares).fill('spare'),
    ];
    const started = await Promise.all(
      roles.map((r, i) => launch(r, { host: opts.hosts?.[i] ?? host, port: opts.port })),
    );
    const masters = started.slice(0, nMasters);
    const replicas = started.slice(nMasters, nMasters + nReplicas);
    const spares = started.slice(nMasters + nReplicas);
    const members = [...masters, ...replicas];

    // Distinct epochs up front: no collision resolution rounds later.
    await Promise.all(
      masters.map(async (m, i) => {
        await call(m, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
        const [start, end] = splitSlots(nMasters)[i]!;
        await call(m, 'CLUSTER', 'ADDSLOTSRANGE', start, end);
      }),
    );
    // Every node meets three hubs, which meet everyone: gossip fills in the rest within a round or two.
    // A full mesh (n² MEETs at once) made 60-node clusters time out on a loaded machine.
    const hubs = members.slice(0, 3);
    await Promise.all(
      members.flatMap((a) =>
        hubs.filter((h) => h !== a).map((h) => call(a, 'CLUSTER', 'MEET', h.host, h.port)),
      ),
    );
    const formTimeout = opts.timeoutMs ?? 30_000;
    await waitUntil(
      async () => {
        const views = await Promise.all(members.map((m) => cli(m, 'CLUSTER', 'NODES')));
        return views.every((v) => {
          const lines = v.trim().split('\n');
          return lines.length === members.length && !v.includes('handshake');
        });
      },
      formTimeout,
      'every node to know every other',
    );
    replicas.forEach((r, j) => {
      const m = masters[j % nMasters]!;
      r.masterId = m.id;
    });
    await Promise.all(
      replicas.map((r) =>
        waitUntil(
          async () => (await cli(r, 'CLUSTER', 'REPLICATE', r.masterId!)) === 'OK',
          formTimeout,
          `${r.addr} to replicate ${r.masterId}`,
        ),
      ),
    );

    const cluster: LocalCluster = {
      nodes: members,
      spares,
      host,
      password,
      dir,
      all: () => [...everything],
      masters: () => members.filter((n) => n.role === 'master'),
      replicas: () => members.filter((n) => n.role === 'replica'),
      replicasOf: (m) => members.filter((n) => n.role === 'replica' && n.masterId === m.id),
      addrs: () => members.map((n) => n.addr),
      byAddr: (addr) => [...everything].reverse().find((n) => n.addr === addr && n.state !== 'killed'),
      async kill(node) {
        await killChild(children.get(node), node);
      },
      freeze(node) {
        if (node.state !== 'running') return;
        process.kill(node.pid, 'SIGSTOP');
        const t = tracked.get(node.pid);
        if (t) t.frozen = true;
        node.state = 'frozen';
      },
      thaw(node) {
        if (node.state !== 'frozen') return;
        process.kill(node.pid, 'SIGCONT');
        const t = tracked.get(node.pid);
        if (t) t.frozen = false;
        node.state = 'running';
      },
      async startFreshNode(o = {}) {
        return launch('fresh', {
          host: o.host ?? host,
          port: o.port,
          extraConfig: [...(opts.extraConfig ?? []), ...(o.extraConfig ?? [])],
        });
      },
      async replaceNode(node) {
        await killChild(children.get(node), node);
        const client = clients.get(node.addr);
        client?.disconnect();
        clients.delete(node.addr);
        return launch(node.role === 'spare' ? 'spare' : 'fresh', { host: node.host, port: node.port });
      },
      restartNode: (node) => restartAt(node, node.host),
      moveNode: (node, newHost) => restartAt(node, newHost),
      cli,
      call,
      async roleOf(node) {
        const r = (await call(node, 'ROLE')) as unknown[];
        return r[0] === 'master' ? 'master' : 'replica';
      },
      waitFor: (pred, timeoutMs, what) => waitUntil(pred, timeoutMs, what),
      async waitHealthy(timeoutMs = 30_000) {
        await waitUntil(
          async () => {
            const live = everything.filter((n) => n.state === 'running');
            // What each member says of every running node's role, master and config epoch: all must agree,
            // or the first `status` after "ready" shows gossip still settling as disagreements.
            const said = new Map<string, string>();
            for (const n of live) {
              const info = parseInfo(await cli(n, 'CLUSTER', 'INFO'));
              if (Number(info.cluster_known_nodes) <= 1) continue; // alone: not a member
              if (info.cluster_state !== 'ok') return false;
              // Nodes we run must not be flagged failing or in handshake; dead ones may be.
              const running = new Set(live.map((x) => x.addr));
              for (const line of (await cli(n, 'CLUSTER', 'NODES')).split('\n')) {
                const [id = '', addrField = '', flags = '', master = '', , , epoch = ''] = line.split(' ');
                const addr = addrField.split('@')[0] ?? '';
                if (!running.has(addr)) continue;
                if (/(^|,)(fail\??|handshake)(,|$)/.test(flags)) return false;
                const role = /(^|,)master(,|$)/.test(flags) ? 'master' : `replica of ${master}`;
                const view = `${id} ${role} epoch ${epoch}`;
                if ((said.get(addr) ?? view) !== view) return false;
                said.set(addr, view);
              }
              const repl = parseInfo(await cli(n, 'INFO', 'replication'));
              if (repl.role === 'slave' && repl.master_link_status !== 'up') return false;
            }
            return true;
          },
          timeoutMs,
          'the cluster to be healthy',
        );
      },
      stop,
    };
    if (!opts.noWait) await cluster.waitHealthy(formTimeout);
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// Single server

export async function startRedis(opts: StartRedisOptions = {}): Promise<LocalRedis> {
  const host = opts.host ?? '127.0.0.1';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(root(), 'redis-'));
  if (ownDir) ownedDirs.add(dir);
  const clients: Clients = new Map();
  const spec: ServerSpec = {
    host,
    port: opts.port,
    dir,
    cluster: false,
    nodeTimeoutMs: 0,
    password: opts.password,
    appendonly: opts.appendonly,
    extraConfig: opts.extraConfig,
  };
  const started = await startServer(spec, 'standalone', clients).catch(async (err) => {
    if (ownDir) {
      rmSync(dir, { recursive: true, force: true });
      ownedDirs.delete(dir);
    }
    throw err;
  });
  const node = started.node;
  let child = started.child;
  const call = (...args: (string | number)[]) => callOn(clients, host, node.port, opts.password, args);
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  let stopped = false;
  return {
    node,
    host,
    port: node.port,
    addr: node.addr,
    url: `redis://${auth}${host}:${node.port}`,
    call,
    cli: async (...args) => render(await call(...args)),
    kill: () => killChild(child, node),
    freeze() {
      if (node.state !== 'running') return;
      process.kill(node.pid, 'SIGSTOP');
      const t = tracked.get(node.pid);
      if (t) t.frozen = true;
      node.state = 'frozen';
    },
    thaw() {
      if (node.state !== 'frozen') return;
      process.kill(node.pid, 'SIGCONT');
      const t = tracked.get(node.pid);
      if (t) t.frozen = false;
      node.state = 'running';
    },
    async restart() {
      await killChild(child, node);
      closeClients(clients);
      child = await spawnServer({ ...spec, port: node.port }, node.port, node.dir, clients);
      node.pid = child.pid!;
      node.state = 'running';
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      closeClients(clients);
      await killChild(child, node);
      reservedPorts.delete(node.addr);
      if (ownDir) {
        rmSync(dir, { recursive: true, force: true });
        ownedDirs.delete(dir);
      }
    },
  };
}
