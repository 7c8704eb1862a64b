/** The ops endpoints of a server role (`/livez`, `/readyz`, `/healthz`, `/metrics`, Alertmanager) on OPS_PORT. */
import type { Config } from '../../config.ts';
import { alertmanagerRoute } from '../../http/alertmanager-route.ts';
import { type OpsServer, startOpsServer } from '../../http/ops-server.ts';
import type { Logger } from '../../logger.ts';
import { createReadiness } from '../../readiness.ts';
import type { ComposedApp } from '../types.ts';

/** Serves the ops endpoints of `composed`; closes `composed` when the port cannot be bound. */
export async function serveOps(
  config: Config,
  logger: Logger,
  warnings: string[],
  composed: ComposedApp,
): Promise<OpsServer> {
  try {
    return await startOpsServer({
      host: config.HOST,
      port: config.OPS_PORT,
      health: () => composed.healthy(),
      readiness: createReadiness({ role: config.ROLE, warnings, controlHealthy: () => composed.healthy() }),
      // Alertmanager in (issue 19): beside /metrics, never on the public Slack path; 404 without a token.
      routes: [
        alertmanagerRoute({
          token: () => config.ALERTMANAGER_TOKEN,
          sink: () => composed.alerts,
          logger,
        }),
      ],
    });
  } catch (err) {
    await composed.close();
    throw err;
  }
}
