/**
 * Alertmanager in (issue 19, part 1): a firing alert group becomes a scan, a diagnosis and a plan in the
 * cluster's incident thread — the watcher's thread when one is open, else a new incident the watcher then
 * continues. Repeats of a group post nothing (they are counted); `resolved` says so in the thread and closes
 * the incident with the all-clear when the cluster is healthy.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import {
  type AlertmanagerPayload,
  alertCluster,
  alertNames,
  alertSummaries,
} from '../core/alerts/alertmanager-payload.ts';
import type { PlanStore } from '../core/plan-record.ts';
import { planForFindings } from '../core/plans/planner.ts';
import type { Clock } from '../core/ports.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { Finding, Topology } from '../core/types.ts';
import { incidentFindings } from '../core/watch/diff.ts';
import { withDeadline } from '../deadline.ts';
import type { Logger } from '../logger.ts';
import { registry } from '../metrics.ts';
import type { ChatPort } from './chat-port.ts';
import type { ClusterEntry, ClusterRegistry } from './clusters.ts';
import { incidentChannel } from './incident-channel.ts';
import { esc } from './messages/kit.ts';
import { findOpenTwin } from './open-twin.ts';
import { linesMessage } from './watch-poster.ts';
import {
  type ClusterWatchState,
  findingKey,
  formatDuration,
  planSignature,
  type WatchPoster,
  watchStateKey,
} from './watcher.ts';

/** Alertmanager notifications, by status and what the bot did with them. */
export const alertsTotal = new Counter({
  name: 'redis_medic_alerts_total',
  help: 'Alertmanager notifications received, by status and outcome (posted, repeat, unknown-cluster…)',
  labelNames: ['status', 'outcome'] as const,
  registers: [registry],
});

/** The longest a scan may take before the alert is posted with what is known (Alertmanager waits on us). */
export const ALERT_SCAN_DEADLINE_MS = 4000;

export interface AlertIntakeDeps {
  redis: Redis;
  prefix: string;
  clusters: ClusterRegistry;
  poster: WatchPoster;
  chat: ChatPort;
  store: PlanStore;
  /** Where a new incident goes when its cluster has no channel of its own (WATCH_CHANNEL). */
  channel?: string;
  /** Label naming the cluster (ALERT_CLUSTER_LABEL). */
  clusterLabel: string;
  scanTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** What the HTTP route answers. */
export interface AlertAnswer {
  status: number;
  text: string;
}

/** What the bot remembers of one alert group. */
interface GroupRecord {
  status: 'firing' | 'resolved';
  count: number;
  channel: string;
  ts: string;
  cluster: string;
}

type Scan = { ok: true; topology: Topology; findings: Finding[] } | { ok: false; error: string };

export function createAlertIntake(deps: AlertIntakeDeps) {
  const { redis, clusters, poster, chat, clock } = deps;
  const log = deps.logger.child({ component: 'alertmanager' });
  const groupKey = (k: string) =>
    `${deps.prefix}:alerts:group:${createHash('sha256').update(k).digest('hex').slice(0, 32)}`;
  const GROUP_TTL_S = 7 * 24 * 3600;

  async function loadGroup(k: string): Promise<GroupRecord | undefined> {
    const raw = await redis.get(groupKey(k));
    return raw ? (JSON.parse(raw) as GroupRecord) : undefined;
  }
  async function saveGroup(k: string, g: GroupRecord): Promise<void> {
    await redis.set(groupKey(k), JSON.stringify(g), 'EX', GROUP_TTL_S);
  }
  async function loadWatch(cluster: string): Promise<ClusterWatchState> {
    const raw = await redis.get(watchStateKey(deps.prefix, cluster));
    return raw ? (JSON.parse(raw) as ClusterWatchState) : {};
  }
  /** Re-reads the watcher's state right before writing, so only `incident` is ours to change. */
  async function setIncident(cluster: string, incident: ClusterWatchState['incident']): Promise<void> {
    const state = await loadWatch(cluster);
    if (incident) state.incident = incident;
    else delete state.incident;
    await redis.set(watchStateKey(deps.prefix, cluster), JSON.stringify(state));
  }

  /** A fresh scan, cut at ALERT_SCAN_DEADLINE_MS: past it the alert is posted with the reason. */
  async function scan(entry: ClusterEntry): Promise<Scan> {
    const deadline = Math.min(deps.scanTimeoutMs * 3 + 250, ALERT_SCAN_DEADLINE_MS);
    try {
      const topology = await withDeadline(
        entry.source.scan({ timeoutMs: deps.scanTimeoutMs }),
        deadline,
        () => new Error(`the scan took longer than ${deadline} ms`),
      );
      if (!topology.probes.some((p) => p.outcome === 'ok'))
        return {
          ok: false,
          error: `no node answered (${topology.probes.map((p) => `${p.addr}: ${p.outcome}`).join(', ') || 'no address to ask'})`,
        };
      return { ok: true, topology, findings: analyzeTopology(topology) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The cluster the group is about, or a 422 naming the label and value. */
  function resolveCluster(p: AlertmanagerPayload): { ok: true; entry: ClusterEntry } | AlertAnswer {
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
    log.warn(
      { label: deps.clusterLabel, value: named.value },
      'alert for an unknown cluster: nothing posted',
    );
    return {
      status: 422,
      text: `unknown cluster: label ${deps.clusterLabel}="${named.value}" names no configured cluster (known: ${clusters.names().join(', ')})`,
    };
  }

  /** The alert's lines, on top of the diagnosis. */
  function alertLines(p: AlertmanagerPayload, cluster: string, s: Scan): string[] {
    const lines = [
      `:rotating_light: Alertmanager: *${esc(alertNames(p).join(', '))}* firing for cluster *${esc(cluster)}*.`,
      ...alertSummaries(p).map((l) => `• ${esc(l)}`),
    ];
    if (!s.ok)
      lines.push(
        `:warning: I could not read cluster *${esc(cluster)}*: ${esc(s.error)}. This is what the alert says; \`/redis status ${esc(cluster)}\` asks again.`,
      );
    return lines;
  }

  async function firing(p: AlertmanagerPayload, entry: ClusterEntry): Promise<AlertAnswer> {
    const seen = await loadGroup(p.groupKey);
    if (seen?.status === 'firing') {
      seen.count += 1;
      await saveGroup(p.groupKey, seen);
      alertsTotal.inc({ status: 'firing', outcome: 'repeat' });
      return { status: 200, text: `repeat ${seen.count} of group: nothing posted` };
    }
    const name = entry.name;
    const s = await scan(entry);
    const lines = alertLines(p, name, s);
    const watch = await loadWatch(name);
    const open = watch.incident;
    let where: { channel: string; ts: string };
    if (open) {
      where = { channel: open.channel, ts: open.ts };
      const twin = s.ok ? await openTwin(name, s) : undefined;
      if (twin) lines.push(`Plan \`${esc(twin)}\` in this thread still fits: approve or reject it there.`);
      await poster.reply({
        cluster: name,
        channel: open.channel,
        threadTs: open.ts,
        lines,
        ...(s.ok && !twin ? { offerPlan: { topology: s.topology, findings: s.findings } } : {}),
      });
    } else {
      where = await openIncident(entry, s, lines);
    }
    await saveGroup(p.groupKey, { status: 'firing', count: 1, cluster: name, ...where });
    alertsTotal.inc({ status: 'firing', outcome: s.ok ? 'posted' : 'posted-unscanned' });
    log.info({ cluster: name, alerts: alertNames(p), thread: where.ts }, 'alert posted');
    return { status: 200, text: `posted in ${where.channel}` };
  }

  /** The id of an open plan identical to the one the planner would make now. */
  async function openTwin(cluster: string, s: Extract<Scan, { ok: true }>): Promise<string | undefined> {
    const ctx = { cluster, requestedBy: 'alertmanager', now: clock.now(), ttlMs: 60_000 };
    const outcome = planForFindings(s.topology, s.findings, ctx);
    if (!outcome.ok) return undefined;
    return (await findOpenTwin(deps.store, outcome.plan, clock.now()))?.plan.id;
  }

  /** A new incident: the diagnosis and plan (as the watcher posts them), remembered so the watcher continues it. */
  async function openIncident(entry: ClusterEntry, s: Scan, lines: string[]) {
    const cluster = entry.name;
    const channel = incidentChannel(entry.def, deps.channel);
    if (!channel) throw new Error(`cluster ${cluster} has no channel and WATCH_CHANNEL is unset`);
    const now = clock.now();
    if (!s.ok) {
      const { ts } = await chat.post(channel, linesMessage(lines, `Alert for cluster ${cluster}`));
      await setIncident(cluster, { channel, ts, openedAt: now, announced: [] });
      return { channel, ts };
    }
    const posted = await poster.openIncident({ cluster, channel, ...s, lines });
    const signature = planSignature(cluster, s.topology, s.findings);
    await setIncident(cluster, {
      channel,
      ts: posted.ts,
      openedAt: now,
      announced: incidentFindings(s.findings, s.topology).map(findingKey),
      ...(posted.planId ? { planId: posted.planId } : {}),
      ...(posted.planId && signature ? { planSignature: signature } : {}),
    });
    return { channel, ts: posted.ts };
  }

  async function resolved(p: AlertmanagerPayload, entry: ClusterEntry): Promise<AlertAnswer> {
    const name = entry.name;
    const group = await loadGroup(p.groupKey);
    const watch = await loadWatch(name);
    const where =
      group ?? (watch.incident ? { channel: watch.incident.channel, ts: watch.incident.ts } : undefined);
    if (!where) {
      alertsTotal.inc({ status: 'resolved', outcome: 'nothing-open' });
      return { status: 200, text: 'resolved: no thread of this group or cluster is open, nothing posted' };
    }
    const lines = [
      `:white_check_mark: Alertmanager: alert resolved — *${esc(alertNames(p).join(', '))}* for cluster *${esc(name)}*.`,
    ];
    const s = await scan(entry);
    const healthy = s.ok && incidentFindings(s.findings, s.topology).length === 0;
    const closes = healthy && watch.incident?.ts === where.ts && !(await poster.clusterBusy(name));
    if (closes && watch.incident) {
      const plan = watch.incident.planId ? await poster.planState(watch.incident.planId) : null;
      lines.push(
        `:white_check_mark: All clear: cluster *${esc(name)}* is healthy again. The incident lasted ${formatDuration(clock.now() - watch.incident.openedAt)}.`,
      );
      await poster.reply({
        cluster: name,
        channel: where.channel,
        threadTs: where.ts,
        lines,
        ...(plan?.status === 'proposed' && watch.incident.planId ? { withdraw: watch.incident.planId } : {}),
      });
      await setIncident(name, undefined);
    } else {
      if (!s.ok) lines.push(`I could not check the cluster: ${esc(s.error)}.`);
      else if (!healthy)
        lines.push(
          `The cluster is not healthy yet: ${esc(incidentFindings(s.findings, s.topology)[0]?.summary ?? '')}`,
        );
      await poster.reply({ cluster: name, channel: where.channel, threadTs: where.ts, lines });
    }
    if (group) await saveGroup(p.groupKey, { ...group, status: 'resolved' });
    alertsTotal.inc({ status: 'resolved', outcome: closes ? 'all-clear' : 'posted' });
    return { status: 200, text: closes ? 'resolved: all clear posted' : 'resolved: posted' };
  }

  return {
    /** Handles one validated notification; never throws (a failure to post answers 503, so Alertmanager retries). */
    async handle(p: AlertmanagerPayload): Promise<AlertAnswer> {
      const c = resolveCluster(p);
      if (!('ok' in c)) {
        alertsTotal.inc({ status: p.status, outcome: 'unknown-cluster' });
        return c;
      }
      try {
        return p.status === 'firing' ? await firing(p, c.entry) : await resolved(p, c.entry);
      } catch (err) {
        log.error({ err: (err as Error).message, cluster: c.entry.name }, 'alert not handled');
        alertsTotal.inc({ status: p.status, outcome: 'error' });
        return { status: 503, text: `could not post the alert: ${(err as Error).message}` };
      }
    },
  };
}

export type AlertIntake = ReturnType<typeof createAlertIntake>;
