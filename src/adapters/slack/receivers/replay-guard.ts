/**
 * In front of Bolt's HTTP receiver (whose own signature check is off): a body limit (64 KiB), the signature
 * check, and a replay check that refuses a correctly signed request seen before within the 5-minute window (a
 * captured request sent again), with 401. Timestamps outside the window are refused by http-receiver.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Clock, systemClock } from '../../../core/ports.ts';

/** Slack's bodies are a few KiB; a button payload echoes its message's blocks (at most ~50 blocks). */
export const BODY_LIMIT_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {
  readonly code = 'BODY_TOO_LARGE';
}

/**
 * Reads the whole body, refusing it past `limit` bytes (Content-Length or counted). By events, not an async
 * iterator: this runs in front of every ack, fifty at once in a burst.
 */
export function readBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new BodyTooLarge(`body over ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      reject(new BodyTooLarge(`body over ${limit} bytes`));
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the request closed before its body ended')));
  });
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export interface ReplayGuard {
  /** `replayed`: signed correctly and seen before within the window. `unverified`: not signed with the secret. */
  check(headers: IncomingMessage['headers'], body: Buffer): 'fresh' | 'replayed' | 'unverified';
}

export function createReplayGuard(opts: {
  signingSecret: string;
  clock?: Clock;
  windowMs?: number;
}): ReplayGuard {
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.windowMs ?? 5 * 60_000;
  /** Signatures seen, with when they may be forgotten (their timestamp is then outside Bolt's window anyway). */
  const seen = new Map<string, number>();

  function forgetOld(now: number) {
    for (const [sig, until] of seen) {
      if (until > now) break; // insertion order ≈ time order
      seen.delete(sig);
    }
  }

  return {
    check(headers, body) {
      const sig = header(headers['x-slack-signature']);
      const ts = header(headers['x-slack-request-timestamp']);
      if (!sig || !ts || !/^v0=[0-9a-f]{64}$/.test(sig)) return 'unverified';
      const want = `v0=${createHmac('sha256', opts.signingSecret).update(`v0:${ts}:`).update(body).digest('hex')}`;
      if (!timingSafeEqual(Buffer.from(want), Buffer.from(sig))) return 'unverified';
      const now = clock.now();
      forgetOld(now);
      if (seen.has(sig)) return 'replayed';
      // Slack's window is 5 minutes each way: keep the signature until its timestamp leaves it.
      seen.set(sig, Math.max(now, Number(ts) * 1000) + windowMs);
      return 'fresh';
    },
  };
}
