/**
 * `POST /alerts/alertmanager` (issue 19, part 1): Alertmanager's webhook, on the listener that serves
 * `/metrics` — never the public Slack path. Off (404) without ALERTMANAGER_TOKEN; `Authorization: Bearer
 * <token>` required (401); a body over 256 KiB is refused (413); bad JSON or shape → 400 with a one-line reason.
 * The route is one module so it moves with that listener.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlertAnswer } from '../app/alert-intake.ts';
import { type AlertmanagerPayload, parseAlertmanagerPayload } from '../core/alerts/alertmanager-payload.ts';
import type { Logger } from '../logger.ts';
import type { RouteHandler } from './ops-routes.ts';

export const ALERTMANAGER_PATH = '/alerts/alertmanager';
export const ALERT_BODY_LIMIT = 256 * 1024;

/** What the route hands a valid notification to (src/app/alert-intake.ts). */
export interface AlertSink {
  handle(p: AlertmanagerPayload): Promise<AlertAnswer>;
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The body, or undefined once it passes `limit` (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The handler. `token` and `sink` are read per request: the sink exists once the app is composed, and a
 * route without a token answers 404 as if it did not exist.
 */
export function alertmanagerHandler(opts: {
  token: () => string | undefined;
  sink: () => AlertSink | undefined;
  logger: Logger;
}): RouteHandler {
  const log = opts.logger.child({ component: 'alertmanager-route' });
  return (req, res) => {
    const token = opts.token();
    const sink = opts.sink();
    if (!token || !sink) {
      req.resume();
      return reply(res, 404, 'not found (the Alertmanager endpoint is off: ALERTMANAGER_TOKEN is unset)');
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      req.resume();
      log.warn({ path: ALERTMANAGER_PATH }, 'alert refused: missing or wrong bearer token');
      return reply(res, 401, 'unauthorized', { 'www-authenticate': 'Bearer' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > ALERT_BODY_LIMIT) {
      req.resume();
      return reply(res, 413, `body too large: the limit is ${ALERT_BODY_LIMIT} bytes`);
    }
    readBody(req, ALERT_BODY_LIMIT)
      .then(async (raw) => {
        if (raw === undefined)
          return reply(res, 413, `body too large: the limit is ${ALERT_BODY_LIMIT} bytes`);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch (err) {
          return reply(res, 400, `malformed JSON: ${(err as Error).message.split('\n')[0]}`);
        }
        const parsed = parseAlertmanagerPayload(body);
        if (!parsed.ok) return reply(res, 400, `not an Alertmanager webhook payload: ${parsed.error}`);
        const answer = await sink.handle(parsed.value);
        reply(res, answer.status, answer.text);
      })
      .catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'alert request failed');
        if (!res.headersSent) reply(res, 500, 'internal error');
      });
  };
}

/** The route in Bolt's `customRoutes` shape. */
export function alertmanagerRoute(opts: Parameters<typeof alertmanagerHandler>[0]) {
  return { path: ALERTMANAGER_PATH, method: ['POST'], handler: alertmanagerHandler(opts) };
}
