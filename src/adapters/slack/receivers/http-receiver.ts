import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver } from '@slack/bolt';
import { type Clock, systemClock } from '../../../core/ports.ts';
import { type HealthCheck, opsRoutes, type RouteSpec } from '../../../http/ops-routes.ts';
import type { Logger } from '../../../logger.ts';
import { toSlackLogger } from '../bolt-logger.ts';

/** Slack's replay window: a request whose timestamp is more than 5 minutes away from now, either way, is refused. */
export const SLACK_TIMESTAMP_WINDOW_SEC = 5 * 60;

export const EVENTS_PATH = '/slack/events';

/** Checks the `X-Slack-Request-Timestamp` header against the clock, both ways (Bolt only refuses the past). */
export function timestampWithinWindow(header: string | string[] | undefined, clock: Clock): boolean {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return true; // no header: Bolt's signature check refuses it
  if (!/^\d{1,12}$/.test(raw)) return false;
  const skew = Math.abs(Math.floor(clock.now() / 1000) - Number(raw));
  return skew <= SLACK_TIMESTAMP_WINDOW_SEC;
}

/**
 * Bolt's HTTPReceiver on `POST /slack/events` (signature checked by Bolt), plus `GET /healthz` and
 * `GET /metrics` as custom routes, plus a guard in front that refuses future-dated timestamps with 401.
 */
export function createHttpReceiver(opts: {
  signingSecret: string;
  logger: Logger;
  health: HealthCheck;
  clock?: Clock;
  /** More routes on this listener (the Alertmanager webhook). */
  routes?: RouteSpec[];
}): HTTPReceiver {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger.child({ component: 'slack-http' });
  const receiver = new HTTPReceiver({
    signingSecret: opts.signingSecret,
    endpoints: EVENTS_PATH,
    customRoutes: opsRoutes(opts.health, undefined, opts.routes),
    logger: toSlackLogger(opts.logger, 'bolt-http'),
    // Ack goes out as soon as the listener calls ack(); work continues after.
    processBeforeResponse: false,
  });
  const boltListener = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'POST' && path === EVENTS_PATH) {
      if (!timestampWithinWindow(req.headers['x-slack-request-timestamp'], clock)) {
        log.warn({ path }, 'refused a request whose timestamp is outside the 5-minute window');
        req.resume();
        res.writeHead(401);
        res.end();
        return;
      }
    }
    boltListener(req, res);
  };
  return receiver;
}
