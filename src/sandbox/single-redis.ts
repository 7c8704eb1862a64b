/** A single non-cluster redis-server (control Redis, standalone tests). */
import type { ChildProcess } from 'node:child_process';
import { type Clients, callOn, closeClients, render } from './node-client.ts';
import { releasePort } from './ports.ts';
import { killChild, makeOwnedDir, removeOwnedDir, setFrozen } from './processes.ts';
import { type LocalNode, type ServerSpec, spawnServer, startServer } from './server.ts';

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

export async function startRedis(opts: StartRedisOptions = {}): Promise<LocalRedis> {
  const host = opts.host ?? '127.0.0.1';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeOwnedDir('redis-');
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
    if (ownDir) removeOwnedDir(dir);
    throw err;
  });
  const node = started.node;
  let child: ChildProcess = started.child;
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
    freeze: () => setFrozen(node, true),
    thaw: () => setFrozen(node, false),
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
      releasePort(node.addr);
      if (ownDir) removeOwnedDir(dir);
    },
  };
}
