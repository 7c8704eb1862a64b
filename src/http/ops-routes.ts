import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { settleWithin } from '../deadline.ts';
import { registry as defaultRegistry } from '../metrics.ts';

/** Is the process able to work? For redis-medic: the control Redis answers PING. */
export type HealthCheck = () => Promise<boolean>;

/** What `/readyz` reports: whether to take traffic, and what is degraded or missing (never a secret). */
export interface Readiness {
  ready: boolean;
  controlRedis: 'up' | 'down';
  /** Plain sentences: a degraded mode, a setting that makes part of the bot useless (no approver). */
  warnings: string[];
}

export type ReadinessCheck = () => Promise<Readiness>;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/** `GET /healthz`: 200 `ok` when the control Redis answers within `timeoutMs`, else 503 (kept for old probes). */
export function healthzHandler(health: HealthCheck, timeoutMs = 2000): RouteHandler {
  return (_req, res) => {
    void settleWithin(health(), timeoutMs, false).then((ok) => {
      res.writeHead(ok ? 200 : 503, TEXT);
      res.end(ok ? 'ok\n' : 'control redis unreachable\n');
    });
  };
}

/** `GET /livez`: the process answers; nothing outside it is asked, so a control-Redis blip never restarts a pod. */
export function livezHandler(): RouteHandler {
  return (_req, res) => {
    res.writeHead(200, TEXT);
    res.end('ok\n');
  };
}

/** `GET /readyz`: 200 or 503 as `ready` says, with the control Redis's state and any warning as JSON. */
export function readyzHandler(readiness: ReadinessCheck, timeoutMs = 2000): RouteHandler {
  const late: Readiness = { ready: false, controlRedis: 'down', warnings: ['readiness check timed out'] };
  return (_req, res) => {
    void settleWithin(readiness(), timeoutMs, late).then((r) => {
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        `${JSON.stringify({ status: r.ready ? (r.warnings.length ? 'degraded' : 'ok') : 'not ready', ...r })}\n`,
      );
    });
  };
}

/** `GET /metrics`: the Prometheus registry of src/metrics.ts. */
export function metricsHandler(registry: Registry = defaultRegistry): RouteHandler {
  return (_req, res) => {
    registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      })
      .catch((err: unknown) => {
        res.writeHead(500, TEXT);
        res.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
  };
}

/** A route served on the ops listener beside the ops endpoints (the Alertmanager webhook). */
export interface RouteSpec {
  path: string;
  method: string[];
  handler: RouteHandler;
}
