import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { Credential, type NodeCommander, type RedisAuth } from '../../core/ports.ts';
import type { Addr } from '../../core/types.ts';
import { encodeCommand, type RespValue } from './resp.ts';
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

/** One command's outcome in a batch: its reply, or the error `call` would have thrown for it. */
export type BatchReply = { ok: true; value: unknown } | { ok: false; error: CodedError };

/** A `NodeCommander` that also sends several commands to one address under one deadline (the probe's). */
export interface BatchingCommander extends NodeCommander {
  batch(addr: Addr, commands: Arg[][], opts?: { timeoutMs?: number }): Promise<BatchReply[]>;
}

/** What a commander's functions share: its connections, one per address, and how to speak and scrub. */
interface CommanderState {
  auth: RedisAuth;
  defaultTimeout: number;
  conns: Map<Addr, Conn>;
  scrub: (text: string) => string;
  /** Encoded batches, by the list of commands they were made from. */
  encoded: WeakMap<Arg[][], Buffer>;
}

/** Drops a connection; the calls still waiting on it fail with `cause` (a timeout stays a timeout). */
function discard(s: CommanderState, addr: Addr, c: Conn, cause?: unknown): void {
  if (s.conns.get(addr) === c) s.conns.delete(addr);
  if (c.dropped) return;
  c.dropped = true;
  c.conn.destroy(cause instanceof Error ? cause : undefined);
}

/** The address's open connection, or a new one (connecting; commands queue behind the connect). */
function open(s: CommanderState, addr: Addr): Conn {
  const existing = s.conns.get(addr);
  if (existing && existing.conn.status === 'open') return existing;
  if (existing) s.conns.delete(addr);
  const { host, port } = splitAddr(addr);
  const conn = new RespConnection({
    host,
    port,
    ...(s.auth.username !== undefined ? { username: s.auth.username } : {}),
    ...(s.auth.password !== undefined ? { password: s.auth.password } : {}),
    connectTimeoutMs: s.defaultTimeout,
  });
  const c: Conn = { conn };
  s.conns.set(addr, c);
  return c;
}

/** The CodedError for what a command failed with; drops the connection unless Redis merely refused it. */
function failure(
  s: CommanderState,
  addr: Addr,
  c: Conn | undefined,
  command: string,
  timeoutMs: number,
  err: unknown,
): CodedError {
  // A command rejected because the connection closed carries the cause (WRONGPASS, ECONNREFUSED, …).
  const closed = err instanceof Error && /Connection is closed/.test(err.message);
  const cause = closed && c?.conn.lastError ? c.conn.lastError : err;
  const raw = classify(cause, addr, command, timeoutMs);
  if (c && (raw.code !== ErrorCodes.NodeError || c.conn.status === 'closed')) discard(s, addr, c, cause);
  // Only the message and our own details go out: never the raw error, whose text may echo AUTH's.
  const details = raw.details ? { ...raw.details } : undefined;
  if (details && typeof details.reply === 'string') details.reply = s.scrub(details.reply);
  return new CodedError(raw.code, s.scrub(raw.message), details);
}

/** Queues one command on the connection, credentials in place; `bytes`: bulk replies as raw bytes. */
/** A command as it goes on the wire: its name as text, credentials in place of their stand-ins. */
function wireArgs(s: CommanderState, args: Arg[]): (string | Buffer)[] {
  return [String(args[0]), ...expandCredentials(args, s.auth).slice(1)];
}

function send(s: CommanderState, c: Conn, args: Arg[], bytes?: boolean): Promise<unknown> {
  return c.conn.send(wireArgs(s, args), bytes ? { bytes: true } : {});
}

const commandName = (args: Arg[]) => String(args[0] ?? '').toUpperCase();

async function callOne(
  s: CommanderState,
  addr: Addr,
  args: Arg[],
  callOpts?: { timeoutMs?: number; buffers?: boolean },
): Promise<unknown> {
  const timeoutMs = callOpts?.timeoutMs ?? s.defaultTimeout;
  let c: Conn | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OuterTimeout()), timeoutMs);
  });
  try {
    c = open(s, addr);
    // `buffers`: bulk replies as raw bytes (key names are binary-safe); else as UTF-8 text.
    return await Promise.race([send(s, c, args, callOpts?.buffers), deadline]);
  } catch (err) {
    throw failure(s, addr, c, commandName(args), timeoutMs, err);
  } finally {
    clearTimeout(timer);
  }
}

/** The bytes of a batch's commands, credentials in place; encoded once per list the caller keeps (the probe's). */
function encodedBatch(s: CommanderState, commands: Arg[][]): Buffer {
  let bytes = s.encoded.get(commands);
  if (!bytes) {
    bytes = Buffer.concat(commands.map((args) => encodeCommand(wireArgs(s, args))));
    s.encoded.set(commands, bytes);
  }
  return bytes;
}

/**
 * Every command of `commands` to one address, in one write, under one deadline: each settles as `call` would
 * (its reply or its CodedError), and those still waiting at the deadline fail as timed out. One timer, one
 * promise and bytes encoded once for the lot: a watcher sends 5 per node, 3,000 nodes every interval.
 */
async function callBatch(
  s: CommanderState,
  addr: Addr,
  commands: Arg[][],
  callOpts?: { timeoutMs?: number },
): Promise<BatchReply[]> {
  const timeoutMs = callOpts?.timeoutMs ?? s.defaultTimeout;
  let c: Conn | undefined;
  try {
    c = open(s, addr);
  } catch (err) {
    return commands.map((args) => ({
      ok: false,
      error: failure(s, addr, c, commandName(args), timeoutMs, err),
    }));
  }
  const conn = c;
  const raw: (RespValue | Error | undefined)[] = new Array(commands.length);
  const all = conn.conn.sendEncoded(encodedBatch(s, commands), commands.length, raw);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([all, deadline]);
  clearTimeout(timer);
  return commands.map((args, i): BatchReply => {
    const v = raw[i];
    if (v === undefined || v instanceof Error)
      return {
        ok: false,
        error: failure(s, addr, conn, commandName(args), timeoutMs, v ?? new OuterTimeout()),
      };
    return { ok: true, value: v };
  });
}

/**
 * A `NodeCommander`: one lazily opened, fail-fast RESP2 connection per address (no retries, no offline
 * queue; see resp-connection.ts), every call bounded by an outer timeout. Calls to one address issued in the
 * same tick leave in one write. A connection that broke or timed out is dropped, so the next call to that
 * address connects again.
 */
export function createNodeCommander(auth: RedisAuth, opts: NodeCommanderOptions = {}): BatchingCommander {
  const s: CommanderState = {
    auth,
    defaultTimeout: opts.timeoutMs ?? 1000,
    conns: new Map(),
    scrub: scrubber(auth),
    encoded: new WeakMap(),
  };
  return {
    call: (addr, args, callOpts) => callOne(s, addr, args, callOpts),
    batch: (addr, commands, callOpts) => callBatch(s, addr, commands, callOpts),
    async close() {
      const all = [...s.conns.values()];
      s.conns.clear();
      await Promise.all(all.map((c) => c.conn.close(200)));
    },
  };
}
