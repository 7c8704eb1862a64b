import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { registry as defaultRegistry } from '../metrics.ts';
import {
  type HealthCheck,
  healthzHandler,
  livezHandler,
  metricsHandler,
  type ReadinessCheck,
  type RouteHandler,
  type RouteSpec,
  readyzHandler,
} from './ops-routes.ts';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The ops endpoints on their own port (OPS_PORT), apart from Slack's `/slack/events` on PORT, so a NetworkPolicy
 * can admit Slack from the ingress controller and scraping from the monitoring namespace separately:
 * `GET /livez` (the process), `GET /readyz` (role-specific), `GET /healthz` (the control Redis), `GET /metrics`.
 */
export async function startOpsServer(opts: {
  host: string;
  port: number;
  health: HealthCheck;
  /** Default: ready exactly when `health` says so. */
  readiness?: ReadinessCheck;
  registry?: Registry;
  /** More routes served here (the Alertmanager webhook). */
  routes?: RouteSpec[];
}): Promise<OpsServer> {
  const readiness: ReadinessCheck =
    opts.readiness ??
    (async () => {
      const up = await opts.health();
      return { ready: up, controlRedis: up ? 'up' : 'down', warnings: [] };
    });
  const routes: Record<string, RouteHandler> = {
    '/livez': livezHandler(),
    '/readyz': readyzHandler(readiness),
    '/healthz': healthzHandler(opts.health),
    '/metrics': metricsHandler(opts.registry ?? defaultRegistry),
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (req.method === 'GET' && route) return route(req, res);
    const extra = opts.routes?.find((r) => r.path === path && r.method.includes(req.method ?? ''));
    if (extra) return extra.handler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
