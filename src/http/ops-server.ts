import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { registry as defaultRegistry } from '../metrics.ts';
import { type HealthCheck, healthzHandler, metricsHandler, type RouteSpec } from './ops-routes.ts';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /healthz` and `GET /metrics` on their own node:http server: for Socket Mode and the worker role,
 * where no Bolt HTTP receiver is listening.
 */
export async function startOpsServer(opts: {
  host: string;
  port: number;
  health: HealthCheck;
  registry?: Registry;
  /** More routes served here (the Alertmanager webhook). */
  routes?: RouteSpec[];
}): Promise<OpsServer> {
  const healthz = healthzHandler(opts.health);
  const metrics = metricsHandler(opts.registry ?? defaultRegistry);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/healthz') return healthz(req, res);
    if (req.method === 'GET' && path === '/metrics') return metrics(req, res);
    const route = opts.routes?.find((r) => r.path === path && r.method.includes(req.method ?? ''));
    if (route) return route.handler(req, res);
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
