import { Command, Redis } from 'ioredis';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { Credential, type NodeCommander, type RedisAuth } from '../../core/ports.ts';
import type { Addr } from '../../core/types.ts';

export interface NodeCommanderOptions {
  /** Default per-call bound (connect + command), ms. Default 1000. */
  timeoutMs?: number;
}

interface Conn {
  redis: Redis;
  /** Resolves when the socket is connected (and AUTH sent); shared by concurrent first calls. */
  ready: Promise<void>;
  /** The last 'error' event: a failed AUTH only shows up there (the call itself sees "Connection is closed"). */
  lastError?: Error;
  /** Already disconnected: the calls that time out together on a frozen node drop it once, not once each. */
  dropped?: boolean;
}

/** Split `host:port` (also `[v6]:port`). */
export function splitAddr(addr: Addr): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i <= 0)
    throw new CodedError(ErrorCodes.NodeUnreachable, `bad address "${addr}" (want host:port)`, { addr });
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new CodedError(ErrorCodes.NodeUnreachable, `bad address "${addr}" (want host:port)`, { addr });
  }
  return { host, port };
}

class OuterTimeout extends Error {}

/** An argument of a command: text, a number, or raw bytes (binary key names). */
type Arg = string | number | Buffer;

/**
 * Indexes (in the whole command, name first) where a `Credential` stand-in is expanded: MIGRATE's options
 * between its five fixed arguments and `KEYS`, and the values of `CONFIG SET masterauth|masteruser`.
 * Nowhere else: a key or value that happens to read like a stand-in is sent as itself.
 */
function credentialPositions(args: Arg[]): Set<number> {
  const at = new Set<number>();
  const word = (i: number) => (typeof args[i] === 'string' ? (args[i] as string).toUpperCase() : '');
  if (word(0) === 'MIGRATE') {
    for (let i = 6; i < args.length && word(i) !== 'KEYS'; i++) at.add(i);
  } else if (word(0) === 'CONFIG' && word(1) === 'SET') {
    for (let i = 2; i + 1 < args.length; i += 2) {
      if (word(i) === 'MASTERAUTH' || word(i) === 'MASTERUSER') at.add(i + 1);
    }
  }
  return at;
}

/** Put the credentials in place of their `Credential` stand-ins (ports.ts), only where a command takes them. */
export function expandCredentials(args: Arg[], auth: RedisAuth): (string | Buffer)[] {
  const at = credentialPositions(args);
  const out: (string | Buffer)[] = [];
  args.forEach((a, i) => {
    if (Buffer.isBuffer(a)) out.push(a);
    else if (!at.has(i)) out.push(String(a));
    else if (a === Credential.migrateAuth) {
      if (auth.password)
        out.push(...(auth.username ? ['AUTH2', auth.username, auth.password] : ['AUTH', auth.password]));
    } else if (a === Credential.password) out.push(auth.password ?? '');
    else if (a === Credential.username) out.push(auth.username ?? 'default');
    else out.push(String(a));
  });
  return out;
}

/** A Redis reply that means our credentials were refused (not a permission on one command: NOPERM). */
export const AUTH_FAILED_REPLY = /^(NOAUTH|WRONGPASS)\b/;

/** Every text the commander lets out goes through this: the password never leaves it, whatever Redis echoes. */
function scrubber(auth: RedisAuth): (text: string) => string {
  const secret = auth.password;
  if (!secret) return (t) => t;
  return (t) => t.split(secret).join('***');
}

/** Turn whatever ioredis threw into NODE_UNREACHABLE / NODE_TIMEOUT / NODE_ERROR naming the address only. */
function classify(err: unknown, addr: Addr, command: string, timeoutMs: number): CodedError {
  if (err instanceof CodedError) return err;
  const e = err as { name?: string; message?: string; code?: string };
  const message = e?.message ?? String(err);
  if (e?.name === 'ReplyError') {
    const auth = /^(NOAUTH|WRONGPASS|NOPERM)/.test(message);
    const authFailed = AUTH_FAILED_REPLY.test(message);
    return new CodedError(
      ErrorCodes.NodeError,
      authFailed
        ? `${addr}: authentication failed (${command} answered: ${message})`
        : `${addr} answered ${command} with: ${message}`,
      {
        addr,
        command,
        reply: message,
        ...(auth ? { auth: true } : {}),
        ...(authFailed ? { authFailed: true } : {}),
      },
    );
  }
  if (err instanceof OuterTimeout || /timed out|ETIMEDOUT/i.test(message) || e?.code === 'ETIMEDOUT') {
    return new CodedError(
      ErrorCodes.NodeTimeout,
      `${addr} did not answer ${command} within ${timeoutMs} ms`,
      {
        addr,
        command,
        transient: true,
      },
    );
  }
  const refused = e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message);
  return new CodedError(
    ErrorCodes.NodeUnreachable,
    refused ? `${addr} refused the connection` : `${addr} is unreachable: ${message}`,
    { addr, command, transient: true, ...(refused ? { refused: true } : {}) },
  );
}

/**
 * A `NodeCommander`: one lazily opened, fail-fast ioredis connection per address (RESP2, no retries, no
 * offline queue), every call bounded by an outer timeout. A connection that broke or timed out is
 * dropped, so the next call to that address connects again.
 */
export function createNodeCommander(auth: RedisAuth, opts: NodeCommanderOptions = {}): NodeCommander {
  const defaultTimeout = opts.timeoutMs ?? 1000;
  const conns = new Map<Addr, Conn>();
  const scrub = scrubber(auth);

  const discard = (addr: Addr, conn: Conn) => {
    if (conns.get(addr) === conn) conns.delete(addr);
    if (conn.dropped) return;
    conn.dropped = true;
    conn.redis.disconnect();
  };

  const open = (addr: Addr): Conn => {
    const existing = conns.get(addr);
    if (existing && existing.redis.status !== 'end' && existing.redis.status !== 'close') return existing;
    if (existing) conns.delete(addr);
    const { host, port } = splitAddr(addr);
    const redis = new Redis({
      host,
      port,
      username: auth.username,
      password: auth.password,
      lazyConnect: true,
      connectTimeout: defaultTimeout,
      commandTimeout: defaultTimeout,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      retryStrategy: () => null,
      protocol: 2,
    });
    const conn: Conn = { redis, ready: redis.connect() };
    // Errors surface through the calls; an unhandled 'error' event would crash the process.
    redis.on('error', (err: Error) => {
      conn.lastError = err;
    });
    conn.ready.catch(() => discard(addr, conn));
    redis.once('end', () => {
      if (conns.get(addr) === conn) conns.delete(addr);
    });
    conns.set(addr, conn);
    return conn;
  };

  return {
    async call(addr, args, callOpts) {
      const timeoutMs = callOpts?.timeoutMs ?? defaultTimeout;
      const [name] = args;
      const command = String(name ?? '').toUpperCase();
      let conn: Conn | undefined;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OuterTimeout()), timeoutMs);
      });
      try {
        conn = open(addr);
        const c = conn;
        const run = async () => {
          await c.ready;
          const [, ...rest] = expandCredentials(args, auth);
          // `buffers`: replies as raw bytes (key names are binary-safe); else as UTF-8 text.
          const cmd = new Command(String(name), rest, callOpts?.buffers ? {} : { replyEncoding: 'utf8' });
          // Our own per-call timer; ioredis's connection-wide commandTimeout then leaves it alone.
          cmd.setTimeout(timeoutMs);
          c.redis.sendCommand(cmd);
          return cmd.promise;
        };
        return await Promise.race([run(), deadline]);
      } catch (err) {
        // ioredis rejects with a bare "Connection is closed." when AUTH or the connect failed: the cause
        // (WRONGPASS, ECONNREFUSED, …) only came through the 'error' event.
        const closed = err instanceof Error && /Connection is closed/.test(err.message);
        const cause = closed && conn?.lastError ? conn.lastError : err;
        const raw = classify(cause, addr, command, timeoutMs);
        if (conn && raw.code !== ErrorCodes.NodeError) discard(addr, conn);
        // Only the message and our own details go out: never ioredis's error, whose `command.args` hold AUTH's.
        const details = raw.details ? { ...raw.details } : undefined;
        if (details && typeof details.reply === 'string') details.reply = scrub(details.reply);
        throw new CodedError(raw.code, scrub(raw.message), details);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const all = [...conns.values()];
      conns.clear();
      await Promise.all(
        all.map(async (c) => {
          const quit = c.redis.status === 'ready' ? c.redis.quit().catch(() => undefined) : Promise.resolve();
          await Promise.race([quit, new Promise((r) => setTimeout(r, 200))]);
          c.redis.disconnect();
        }),
      );
    },
  };
}
