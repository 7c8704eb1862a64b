import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { Credential, type NodeCommander, type RedisAuth } from '../../core/ports.ts';
import type { Addr } from '../../core/types.ts';
import { RespConnection } from './resp-connection.ts';

export interface NodeCommanderOptions {
  /** Default per-call bound (connect + command), ms. Default 1000. */
  timeoutMs?: number;
}

interface Conn {
  conn: RespConnection;
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

/** Turn whatever the connection threw into NODE_UNREACHABLE / NODE_TIMEOUT / NODE_ERROR naming the address only. */
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
 * A `NodeCommander`: one lazily opened, fail-fast RESP2 connection per address (no retries, no offline
 * queue; see resp-connection.ts), every call bounded by an outer timeout. Calls to one address issued in the
 * same tick leave in one write. A connection that broke or timed out is dropped, so the next call to that
 * address connects again.
 */
export function createNodeCommander(auth: RedisAuth, opts: NodeCommanderOptions = {}): NodeCommander {
  const defaultTimeout = opts.timeoutMs ?? 1000;
  const conns = new Map<Addr, Conn>();
  const scrub = scrubber(auth);

  /** Drops a connection; the calls still waiting on it fail with `cause` (a timeout stays a timeout). */
  const discard = (addr: Addr, c: Conn, cause?: unknown) => {
    if (conns.get(addr) === c) conns.delete(addr);
    if (c.dropped) return;
    c.dropped = true;
    c.conn.destroy(cause instanceof Error ? cause : undefined);
  };

  const open = (addr: Addr): Conn => {
    const existing = conns.get(addr);
    if (existing && existing.conn.status === 'open') return existing;
    if (existing) conns.delete(addr);
    const { host, port } = splitAddr(addr);
    const conn = new RespConnection({
      host,
      port,
      ...(auth.username !== undefined ? { username: auth.username } : {}),
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      connectTimeoutMs: defaultTimeout,
    });
    const c: Conn = { conn };
    conns.set(addr, c);
    return c;
  };

  return {
    async call(addr, args, callOpts) {
      const timeoutMs = callOpts?.timeoutMs ?? defaultTimeout;
      const [name] = args;
      const command = String(name ?? '').toUpperCase();
      let c: Conn | undefined;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OuterTimeout()), timeoutMs);
      });
      try {
        c = open(addr);
        const [, ...rest] = expandCredentials(args, auth);
        // `buffers`: bulk replies as raw bytes (key names are binary-safe); else as UTF-8 text.
        const sent = c.conn.send([String(name), ...rest], callOpts?.buffers ? { bytes: true } : {});
        return await Promise.race([sent, deadline]);
      } catch (err) {
        // A command rejected because the connection closed carries the cause (WRONGPASS, ECONNREFUSED, …).
        const closed = err instanceof Error && /Connection is closed/.test(err.message);
        const cause = closed && c?.conn.lastError ? c.conn.lastError : err;
        const raw = classify(cause, addr, command, timeoutMs);
        if (c && (raw.code !== ErrorCodes.NodeError || c.conn.status === 'closed')) discard(addr, c, cause);
        // Only the message and our own details go out: never the raw error, whose text may echo AUTH's.
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
      await Promise.all(all.map((c) => c.conn.close(200)));
    },
  };
}
