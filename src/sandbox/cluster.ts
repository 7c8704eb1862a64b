/** A local Redis Cluster of real redis-server processes: start it, break it (kill, freeze, replace), stop it. */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { formCluster, isClusterHealthy } from './form-cluster.ts';
import { type Clients, callOn, closeClients, dropClient, render } from './node-client.ts';
import { releasePort, reservePort } from './ports.ts';
import { killChild, makeOwnedDir, removeOwnedDir, setFrozen } from './processes.ts';
import { type LocalNode, type LocalNodeRole, type ServerSpec, spawnServer, startServer } from './server.ts';
import { waitUntil } from './wait-until.ts';

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

/** What one cluster keeps: its processes, their connections, and the spec every node starts from. */
interface ClusterState {
  opts: StartClusterOptions;
  host: string;
  dir: string;
  ownDir: boolean;
  password?: string;
  baseSpec: ServerSpec;
  clients: Clients;
  children: Map<LocalNode, ChildProcess>;
  everything: LocalNode[];
  stopped: boolean;
}

async function launch(
  st: ClusterState,
  role: LocalNodeRole,
  spec: Partial<ServerSpec> = {},
): Promise<LocalNode> {
  const { node, child } = await startServer({ ...st.baseSpec, ...spec }, role, st.clients);
  st.children.set(node, child);
  st.everything.push(node);
  child.once('exit', () => {
    if (node.state !== 'killed') node.state = 'killed';
  });
  return node;
}

function addrOf(n: LocalNode | string): { host: string; port: number } {
  if (typeof n !== 'string') return n;
  const i = n.lastIndexOf(':');
  return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
}

function call(st: ClusterState, n: LocalNode | string, ...args: (string | number)[]): Promise<unknown> {
  const t = addrOf(n);
  return callOn(st.clients, t.host, t.port, st.password, args);
}

const cli = async (st: ClusterState, n: LocalNode | string, ...args: (string | number)[]) =>
  render(await call(st, n, ...args));

/** Same dir and nodes.conf, at `newHost` (the same host for a plain restart), same port. */
async function restartAt(st: ClusterState, node: LocalNode, newHost: string): Promise<void> {
  await killChild(st.children.get(node), node);
  dropClient(st.clients, node.addr);
  const spec: ServerSpec = { ...st.baseSpec, host: newHost, port: node.port };
  const child = await spawnServer(spec, node.port, node.dir, st.clients);
  st.children.set(node, child);
  if (newHost !== node.host) {
    reservePort(`${newHost}:${node.port}`);
    node.host = newHost;
    node.addr = `${newHost}:${node.port}`;
  }
  node.pid = child.pid!;
  node.state = 'running';
  child.once('exit', () => {
    node.state = 'killed';
  });
}

async function stopCluster(st: ClusterState): Promise<void> {
  if (st.stopped) return;
  st.stopped = true;
  closeClients(st.clients);
  await Promise.all(st.everything.map((n) => killChild(st.children.get(n), n)));
  if (st.ownDir) removeOwnedDir(st.dir);
  for (const n of st.everything) releasePort(n.addr);
}

/** The LocalCluster handle over a formed cluster. */
function clusterHandle(st: ClusterState, members: LocalNode[], spares: LocalNode[]): LocalCluster {
  const { host, password, dir, everything, children, opts } = st;
  return {
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
    freeze: (node) => setFrozen(node, true),
    thaw: (node) => setFrozen(node, false),
    async startFreshNode(o = {}) {
      return launch(st, 'fresh', {
        host: o.host ?? host,
        port: o.port,
        extraConfig: [...(opts.extraConfig ?? []), ...(o.extraConfig ?? [])],
      });
    },
    async replaceNode(node) {
      await killChild(children.get(node), node);
      dropClient(st.clients, node.addr);
      return launch(st, node.role === 'spare' ? 'spare' : 'fresh', { host: node.host, port: node.port });
    },
    restartNode: (node) => restartAt(st, node, node.host),
    moveNode: (node, newHost) => restartAt(st, node, newHost),
    cli: (n, ...args) => cli(st, n, ...args),
    call: (n, ...args) => call(st, n, ...args),
    async roleOf(node) {
      const r = (await call(st, node, 'ROLE')) as unknown[];
      return r[0] === 'master' ? 'master' : 'replica';
    },
    waitFor: (pred, timeoutMs, what) => waitUntil(pred, timeoutMs, what),
    async waitHealthy(timeoutMs = 30_000) {
      await waitUntil(
        () =>
          isClusterHealthy(
            (n, ...args) => cli(st, n, ...args),
            everything.filter((n) => n.state === 'running'),
          ),
        timeoutMs,
        'the cluster to be healthy',
      );
    },
    stop: () => stopCluster(st),
  };
}

export async function startLocalCluster(opts: StartClusterOptions): Promise<LocalCluster> {
  const host = opts.host ?? '127.0.0.1';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeOwnedDir('cluster-');
  if (!ownDir) mkdirSync(dir, { recursive: true });
  const st: ClusterState = {
    opts,
    host,
    dir,
    ownDir,
    password: opts.password,
    baseSpec: {
      host,
      dir,
      cluster: true,
      nodeTimeoutMs: opts.nodeTimeoutMs ?? 1500,
      password: opts.password,
      extraConfig: opts.extraConfig,
      appendonly: opts.appendonly,
    },
    clients: new Map(),
    children: new Map(),
    everything: [],
    stopped: false,
  };
  const nMasters = opts.masters;
  const nReplicas = opts.masters * opts.replicasPerMaster;
  try {
    const roles: LocalNodeRole[] = [
      ...Array<LocalNodeRole>(nMasters).fill('master'),
      ...Array<LocalNodeRole>(nReplicas).fill('replica'),
      ...Array<LocalNodeRole>(opts.spares ?? 0).fill('spare'),
    ];
    const started = await Promise.all(
      roles.map((r, i) => launch(st, r, { host: opts.hosts?.[i] ?? host, port: opts.port })),
    );
    const masters = started.slice(0, nMasters);
    const replicas = started.slice(nMasters, nMasters + nReplicas);
    const formTimeout = opts.timeoutMs ?? 30_000;
    await formCluster((n, ...args) => cli(st, n, ...args), masters, replicas, formTimeout);
    const cluster = clusterHandle(st, [...masters, ...replicas], started.slice(nMasters + nReplicas));
    if (!opts.noWait) await cluster.waitHealthy(formTimeout);
    return cluster;
  } catch (err) {
    await stopCluster(st);
    throw err;
  }
}
