import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver } from '@slack/bolt';
import { type Clock, systemClock } from '../../../core/ports.ts';
import type { Logger } from '../../../logger.ts';
import type { AckGate } from '../ack-gate.ts';
import { toSlackLogger } from '../bolt-logger.ts';
import { payloadProblem } from './payload-shape.ts';
import { BODY_LIMIT_BYTES, BodyTooLarge, createReplayGuard, readBody } from './replay-guard.ts';

/** Slack's replay window: a request whose timestamp is more than 5 minutes away from now, either way, is refused. */
export const SLACK_TIMESTAMP_WINDOW_SEC = 5 * 60;

export const EVENTS_PATH = '/slack/events';

/** Checks the `X-Slack-Request-Timestamp` header against the clock, both ways (Bolt only refuses the past). */
export function timestampWithinWindow(header: string | string[] | undefined, clock: Clock): boolean {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return true; // no header: the signature check refuses it
  if (!/^\d{1,12}$/.test(raw)) return false;
  const skew = Math.abs(Math.floor(clock.now() / 1000) - Number(raw));
  return skew <= SLACK_TIMESTAMP_WINDOW_SEC;
}

/**
 * Bolt's HTTPReceiver on `POST /slack/events` only (the ops endpoints have their own port, see
 * src/http/ops-server.ts), behind a guard that checks the timestamp both ways, the body's size, the signature
 * and replays, refusing with 413 / 401 / 400 before Bolt sees the request.
 */
export function createHttpReceiver(opts: {
  signingSecret: string;
  logger: Logger;
  clock?: Clock;
  /** Counts each Slack request until it is answered (listeners' work waits behind the acks). */
  acks?: AckGate;
}): HTTPReceiver {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger.child({ component: 'slack-http' });
  const receiver = new HTTPReceiver({
    signingSecret: opts.signingSecret,
    endpoints: EVENTS_PATH,
    logger: toSlackLogger(opts.logger, 'bolt-http'),
    // Ack goes out as soon as the listener calls ack(); work continues after.
    processBeforeResponse: false,
    // The replay guard below has checked the signature already (one HMAC per request, not Bolt's three).
    signatureVerification: false,
    bodyLimit: BODY_LIMIT_BYTES,
  });
  const replays = createReplayGuard({ signingSecret: opts.signingSecret, clock });
  const boltListener = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'POST' && path === EVENTS_PATH) {
      opts.acks?.track(res);
      if (!timestampWithinWindow(req.headers['x-slack-request-timestamp'], clock)) {
        log.warn({ path }, 'refused a request whose timestamp is outside the 5-minute window');
        req.resume();
        res.writeHead(401);
        res.end();
        return;
      }
      void guardThenBolt(req, res);
      return;
    }
    boltListener(req, res);
  };

  /** Body limit and replay check, then Bolt (which reads the body we buffered as `rawBody`). */
  async function guardThenBolt(req: IncomingMessage, res: ServerResponse) {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      const tooLarge = err instanceof BodyTooLarge;
      log.warn({ err: (err as Error).message }, 'refused a request body');
      if (tooLarge) req.resume();
      res.writeHead(tooLarge ? 413 : 400, tooLarge ? { connection: 'close' } : {});
      res.end();
      return;
    }
    const verdict = replays.check(req.headers, body);
    if (verdict === 'unverified') {
      log.warn(
        { path: EVENTS_PATH },
        'refused a request without a valid Slack signature (is SLACK_SIGNING_SECRET the app’s signing secret?)',
      );
      res.writeHead(401);
      res.end();
      return;
    }
    if (verdict === 'replayed') {
      log.warn(
        { path: EVENTS_PATH },
        'refused a replayed request (its signature was seen in the last 5 minutes)',
      );
      res.writeHead(401);
      res.end();
      return;
    }
    const problem = payloadProblem(body, req.headers['content-type']);
    if (problem) {
      log.warn({ problem }, 'refused a signed request Slack would not send');
      res.writeHead(400);
      res.end();
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    boltListener(req, res);
  }
  return receiver;
}
