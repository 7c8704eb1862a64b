/**
 * Alertmanager in (issue 19, part 1): a firing alert group becomes a scan, a diagnosis and a plan in the
 * cluster's incident thread — the watcher's thread when one is open, else a new incident the watcher then
 * continues (src/app/alerts/firing.ts). Repeats of a group post nothing (they are counted); `resolved` says so
 * in the thread and closes the incident with the all-clear when the cluster is healthy (alerts/resolved.ts).
 */
import { type AlertmanagerPayload, alertCluster } from '../core/alerts/alertmanager-payload.ts';
import type { Logger } from '../logger.ts';
import { type AlertAnswer, type AlertContext, alertsTotal } from './alerts/context.ts';
import { alertFiring } from './alerts/firing.ts';
import { alertResolved } from './alerts/resolved.ts';
import type { ClusterEntry, ClusterRegistry } from './clusters.ts';

export { type AlertAnswer, alertsTotal } from './alerts/context.ts';
export { ALERT_SCAN_DEADLINE_MS } from './alerts/scan.ts';

export interface AlertIntakeDeps extends Omit<AlertContext, 'log'> {
  clusters: ClusterRegistry;
  /** Label naming the cluster (ALERT_CLUSTER_LABEL). */
  clusterLabel: string;
  logger: Logger;
}

/** The cluster the group is about, or a 422 naming the label and value. */
function resolveCluster(
  deps: AlertIntakeDeps,
  log: Logger,
  p: AlertmanagerPayload,
): { ok: true; entry: ClusterEntry } | AlertAnswer {
  const { clusters } = deps;
  const named = alertCluster(p, deps.clusterLabel);
  if (!named.ok) return { status: 422, text: named.error };
  if (named.value === undefined) {
    const list = clusters.list();
    if (list.length === 1 && list[0]) return { ok: true, entry: list[0] };
    return {
      status: 422,
      text: `no label ${deps.clusterLabel} on the alerts, and ${list.length} clusters are configured: add the label (ALERT_CLUSTER_LABEL names it)`,
    };
  }
  const r = clusters.resolve(named.value);
  if (r.ok) return r;
  log.warn({ label: deps.clusterLabel, value: named.value }, 'alert for an unknown cluster: nothing posted');
  return {
    status: 422,
    text: `unknown cluster: label ${deps.clusterLabel}="${named.value}" names no configured cluster (known: ${clusters.names().join(', ')})`,
  };
}

export function createAlertIntake(deps: AlertIntakeDeps) {
  const log = deps.logger.child({ component: 'alertmanager' });
  const ctx: AlertContext = { ...deps, log };
  return {
    /** Handles one validated notification; never throws (a failure to post answers 503, so Alertmanager retries). */
    async handle(p: AlertmanagerPayload): Promise<AlertAnswer> {
      const c = resolveCluster(deps, log, p);
      if (!('ok' in c)) {
        alertsTotal.inc({ status: p.status, outcome: 'unknown-cluster' });
        return c;
      }
      try {
        return p.status === 'firing'
          ? await alertFiring(ctx, p, c.entry)
          : await alertResolved(ctx, p, c.entry);
      } catch (err) {
        log.error({ err: (err as Error).message, cluster: c.entry.name }, 'alert not handled');
        alertsTotal.inc({ status: p.status, outcome: 'error' });
        return { status: 503, text: `could not post the alert: ${(err as Error).message}` };
      }
    },
  };
}

export type AlertIntake = ReturnType<typeof createAlertIntake>;
