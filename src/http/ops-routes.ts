import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { registry as defaultRegistry } from '../metrics.ts';

/** Is the process able to work? For redis-medic: the control Redis answers PING. */
export type HealthCheck = () => Promise<boolean>;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** `GET /healthz`: 200 `ok` when the control Redis answers within `timeoutMs`, else 503. */
export function healthzHandler(health: HealthCheck, timeoutMs = 2000): RouteHandler {
  return (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    Promise.race([health().catch(() => false), deadline])
      .then((ok) => {
        clearTimeout(timer);
        res.writeHead(ok ? 200 : 503, {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(ok ? 'ok\n' : 'control redis unreachable\n');
      })
      .catch(() => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('unhealthy\n');
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
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
  };
}

/** A route in Bolt's `customRoutes` shape. */
export interface RouteSpec {
  path: string;
  method: string[];
  handler: RouteHandler;
}

/** The ops routes in Bolt's `customRoutes` shape (HTTP mode), plus `extra` routes that live on this listener. */
export function opsRoutes(
  health: HealthCheck,
  registry: Registry = defaultRegistry,
  extra: RouteSpec[] = [],
): RouteSpec[] {
  return [
    { path: '/healthz', method: ['GET'], handler: healthzHandler(health) },
    { path: '/metrics', method: ['GET'], handler: metricsHandler(registry) },
    ...extra,
  ];
}
