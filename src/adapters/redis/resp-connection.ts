/**
 * One fail-fast RESP2 connection to one Redis node: no retries, no offline queue, no reconnect. Commands
 * issued in the same tick leave in one write (pipelined), AUTH included, so a fresh probe costs the TCP
 * handshake plus one round trip. When the socket breaks, every pending command is rejected with the cause.
 */
import { connect, type Socket } from 'node:net';
import { encodeCommand, ReplyError, RespDecoder, type RespValue, replyBytes, replyText } from './resp.ts';

export interface RespConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Bound on the TCP connect, ms. */
  connectTimeoutMs: number;
}

interface Pending {
  /** Bulk strings as bytes (binary key names) instead of UTF-8 text. */
  bytes?: boolean;
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
}

/** Redis answers AUTH like this when no password is set: the connection is usable all the same. */
const NO_PASSWORD_SET = /without any password configured|no password is set/i;

/** A connect that took too long; `code` as a socket's own timeout, so callers classify both alike. */
function connectTimeout(host: string, port: number, ms: number): Error {
  return Object.assign(new Error(`connect ETIMEDOUT ${host}:${port} (${ms} ms)`), { code: 'ETIMEDOUT' });
}

export class RespConnection {
  /** `open` until the socket closes or breaks; never opens again. */
  status: 'open' | 'closed' = 'open';
  /** Why it closed (a socket error, a refused AUTH); also the rejection of every pending command. */
  lastError: Error | undefined;
  private readonly socket: Socket;
  private readonly decoder = new RespDecoder();
  private readonly queue: Pending[] = [];
  private outgoing: Buffer[] = [];
  private flushScheduled = false;

  constructor(opts: RespConnectionOptions) {
    this.socket = connect({ host: opts.host, port: opts.port, noDelay: true });
    const timer = setTimeout(() => {
      this.fail(connectTimeout(opts.host, opts.port, opts.connectTimeoutMs));
    }, opts.connectTimeoutMs);
    timer.unref();
    this.socket.once('connect', () => clearTimeout(timer));
    this.socket.once('close', () => {
      clearTimeout(timer);
      this.fail(this.lastError ?? new Error('Connection is closed.'));
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (opts.password !== undefined) {
      const auth = opts.username ? ['AUTH', opts.username, opts.password] : ['AUTH', opts.password];
      // A refused AUTH fails the connection at once, so the commands behind it fail with its reason
      // (WRONGPASS), not with their own NOAUTH.
      this.enqueue(auth, {
        resolve: () => undefined,
        reject: (err) => {
          if (!(err instanceof ReplyError && NO_PASSWORD_SET.test(err.message))) this.fail(err);
        },
      });
    }
  }

  /** Queues one command; it leaves with the others of this tick. Rejects once the connection is closed. */
  send(args: readonly (string | Buffer)[], opts: { bytes?: boolean } = {}): Promise<RespValue> {
    if (this.status === 'closed') return Promise.reject(this.lastError ?? new Error('Connection is closed.'));
    return new Promise((resolve, reject) =>
      this.enqueue(args, { resolve, reject, ...(opts.bytes ? { bytes: true } : {}) }),
    );
  }

  /**
   * Queues `count` commands already encoded as `bytes` (never changed afterwards: it may be written as it is).
   * Each reply, or the error it failed with, lands in `out` at its index as it arrives; resolves once all have.
   */
  sendEncoded(bytes: Buffer, count: number, out: (RespValue | Error | undefined)[]): Promise<void> {
    return new Promise((resolve) => {
      if (this.status === 'closed') {
        out.fill(this.lastError ?? new Error('Connection is closed.'), 0, count);
        resolve();
        return;
      }
      let left = count;
      const settle = (i: number, v: RespValue | Error) => {
        out[i] = v;
        if (--left === 0) resolve();
      };
      for (let i = 0; i < count; i++)
        this.queue.push({ resolve: (v) => settle(i, v), reject: (e) => settle(i, e) });
      this.write(bytes);
    });
  }

  private enqueue(args: readonly (string | Buffer)[], pending: Pending): void {
    this.queue.push(pending);
    this.write(encodeCommand(args));
  }

  /** Adds bytes to this tick's write. */
  private write(bytes: Buffer): void {
    this.outgoing.push(bytes);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * Sends QUIT and half-closes, without waiting for the server's reply: the server closes its side once it
   * has read QUIT, and the socket is dropped then (or after `graceMs` at the latest, without holding the
   * process). Pending commands are rejected as by `destroy`.
   */
  async close(graceMs = 200): Promise<void> {
    if (this.status !== 'open' || this.socket.readyState !== 'open') {
      this.destroy();
      return;
    }
    this.status = 'closed';
    this.lastError ??= new Error('Connection is closed.');
    for (const p of this.queue.splice(0)) p.reject(this.lastError);
    this.socket.end(encodeCommand(['QUIT']));
    const timer = setTimeout(() => this.socket.destroy(), graceMs);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Drops the socket now; pending commands are rejected with `reason` (default: the connection closed). */
  destroy(reason?: Error): void {
    this.fail(reason ?? this.lastError ?? new Error('Connection is closed.'));
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.status === 'closed' || this.outgoing.length === 0) return;
    const out = this.outgoing.length === 1 ? this.outgoing[0]! : Buffer.concat(this.outgoing);
    this.outgoing = [];
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    let replies: RespValue[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const r of replies) {
      const p = this.queue.shift();
      if (!p) continue;
      if (r instanceof ReplyError) p.reject(r);
      else p.resolve(p.bytes ? replyBytes(r) : replyText(r));
    }
  }

  private fail(err: Error): void {
    if (this.status === 'open') {
      this.status = 'closed';
      this.lastError ??= err;
      this.socket.destroy();
    }
    const pending = this.queue.splice(0);
    for (const p of pending) p.reject(this.lastError ?? err);
  }
}
