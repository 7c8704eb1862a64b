/**
 * RESP2, the Redis wire protocol: encoding commands and decoding replies. Small on purpose: the node
 * commander needs plain request/reply (no pub/sub, no RESP3), and a CLI that loads ioredis pays ~50 ms to
 * start before it sends a byte.
 */

/** An error reply (`-ERR …`), named like ioredis's so callers classify both alike. */
export class ReplyError extends Error {
  override name = 'ReplyError';
}

/**
 * A decoded reply: bulk strings as bytes (binary-safe key names), simple strings as text, integers, nil,
 * arrays, or an error reply. `replyText` / `replyBytes` turn it into what a caller asked for.
 */
export type RespValue = string | number | null | ReplyError | Buffer | RespValue[];

/** The reply with every bulk string as UTF-8 text (what most commands want). */
export function replyText(v: RespValue): RespValue {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return Array.isArray(v) ? v.map(replyText) : v;
}

/** The reply with every bulk string as its own copy of the bytes (not a view of the socket's chunk). */
export function replyBytes(v: RespValue): RespValue {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  return Array.isArray(v) ? v.map(replyBytes) : v;
}

/** One command as bytes: `*<n>\r\n$<len>\r\n<arg>\r\n…`; Buffers are sent as they are. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  let head = `*${args.length}\r\n`;
  const parts: Buffer[] = [];
  for (const a of args) {
    const body = Buffer.isBuffer(a) ? a : Buffer.from(a, 'utf8');
    head += `$${body.length}\r\n`;
    parts.push(Buffer.from(head, 'latin1'), body);
    head = '\r\n';
  }
  parts.push(Buffer.from(head, 'latin1'));
  return Buffer.concat(parts);
}

/** Not enough bytes yet for a whole reply. */
const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: RespValue; end: number } | typeof INCOMPLETE;

/** Reads one reply starting at `at`; `INCOMPLETE` when the buffer ends before it does. */
function parseAt(buf: Buffer, at: number): Parsed {
  if (at >= buf.length) return INCOMPLETE;
  const lineEnd = buf.indexOf(13, at);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return INCOMPLETE;
  const type = buf[at];
  const line = buf.toString('latin1', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 43: // '+'
      return { value: buf.toString('utf8', at + 1, lineEnd), end: next };
    case 45: // '-'
      return { value: new ReplyError(buf.toString('utf8', at + 1, lineEnd)), end: next };
    case 58: // ':'
      return { value: Number(line), end: next };
    case 36: {
      // '$'
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (next + len + 2 > buf.length) return INCOMPLETE;
      return { value: buf.subarray(next, next + len), end: next + len + 2 };
    }
    case 42: {
      // '*'
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseAt(buf, pos);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`not a RESP2 reply (byte ${type} at ${at})`);
  }
}

/** Turns a stream of chunks into whole replies, in order. */
export class RespDecoder {
  private pending: Buffer | undefined;

  /** Feeds one chunk; returns every reply it completed (throws on bytes that are not RESP2). */
  push(chunk: Buffer): RespValue[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: RespValue[] = [];
    let pos = 0;
    for (;;) {
      const r = parseAt(buf, pos);
      if (r === INCOMPLETE) break;
      out.push(r.value);
      pos = r.end;
    }
    this.pending = pos < buf.length ? buf.subarray(pos) : undefined;
    return out;
  }
}
