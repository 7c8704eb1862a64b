import {
  type AlertmanagerPayload,
  alertNames,
  alertSummaries,
} from '../../core/alerts/alertmanager-payload.ts';
import { incidentFindings } from '../../core/watch/diff.ts';
import type { ClusterEntry } from '../clusters.ts';
import { incidentChannel } from '../incident-channel.ts';
import { esc } from '../messages/kit.ts';
import { findOpenTwin } from '../open-twin.ts';
import { proposeFromFindings } from '../plans/propose.ts';
import { findingKey } from '../watch/format.ts';
import { planSignature } from '../watch/plan-signature.ts';
import { linesMessage } from '../watch/poster.ts';
import { type AlertAnswer, type AlertContext, alertsTotal } from './context.ts';
import { type AlertScan, alertScan } from './scan.ts';

/** The alert's lines, on top of the diagnosis. */
function alertLines(p: AlertmanagerPayload, cluster: string, s: AlertScan): string[] {
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

/** The id of an open plan identical to the one the planner would make now. */
async function openTwin(
  ctx: AlertContext,
  cluster: string,
  s: Extract<AlertScan, { ok: true }>,
): Promise<string | undefined> {
  const ctxPlan = { cluster, requestedBy: 'alertmanager', now: ctx.clock.now(), ttlMs: 60_000 };
  const outcome = proposeFromFindings(s.topology, s.findings, ctxPlan);
  if (!outcome.ok) return undefined;
  return (await findOpenTwin(ctx.store, outcome.plan, ctx.clock.now()))?.plan.id;
}

/** A new incident: the diagnosis and plan (as the watcher posts them), remembered so the watcher continues it. */
async function openIncident(ctx: AlertContext, entry: ClusterEntry, s: AlertScan, lines: string[]) {
  const cluster = entry.name;
  const channel = incidentChannel(entry.def, ctx.channel);
  if (!channel) throw new Error(`cluster ${cluster} has no channel and WATCH_CHANNEL is unset`);
  const now = ctx.clock.now();
  if (!s.ok) {
    const { ts } = await ctx.chat.post(channel, linesMessage(lines, `Alert for cluster ${cluster}`));
    await ctx.watch.setIncident(cluster, { channel, ts, openedAt: now, announced: [] });
    return { channel, ts };
  }
  const posted = await ctx.poster.openIncident({ cluster, channel, ...s, lines });
  const signature = planSignature(cluster, s.topology, s.findings);
  await ctx.watch.setIncident(cluster, {
    channel,
    ts: posted.ts,
    openedAt: now,
    announced: incidentFindings(s.findings, s.topology).map(findingKey),
    ...(posted.planId ? { planId: posted.planId } : {}),
    ...(posted.planId && signature ? { planSignature: signature } : {}),
  });
  return { channel, ts: posted.ts };
}

/** A firing group: posted once (in the open incident's thread, else as a new incident); repeats are counted. */
export async function alertFiring(
  ctx: AlertContext,
  p: AlertmanagerPayload,
  entry: ClusterEntry,
): Promise<AlertAnswer> {
  const seen = await ctx.groups.load(p.groupKey);
  if (seen?.status === 'firing') {
    seen.count += 1;
    await ctx.groups.save(p.groupKey, seen);
    alertsTotal.inc({ status: 'firing', outcome: 'repeat' });
    return { status: 200, text: `repeat ${seen.count} of group: nothing posted` };
  }
  const name = entry.name;
  const s = await alertScan(entry, ctx.scanTimeoutMs);
  const lines = alertLines(p, name, s);
  const open = (await ctx.watch.load(name)).incident;
  let where: { channel: string; ts: string };
  if (open) {
    where = { channel: open.channel, ts: open.ts };
    const twin = s.ok ? await openTwin(ctx, name, s) : undefined;
    if (twin) lines.push(`Plan \`${esc(twin)}\` in this thread still fits: approve or reject it there.`);
    await ctx.poster.reply({
      cluster: name,
      channel: open.channel,
      threadTs: open.ts,
      lines,
      ...(s.ok && !twin ? { offerPlan: { topology: s.topology, findings: s.findings } } : {}),
    });
  } else {
    where = await openIncident(ctx, entry, s, lines);
  }
  await ctx.groups.save(p.groupKey, { status: 'firing', count: 1, cluster: name, ...where });
  alertsTotal.inc({ status: 'firing', outcome: s.ok ? 'posted' : 'posted-unscanned' });
  ctx.log.info({ cluster: name, alerts: alertNames(p), thread: where.ts }, 'alert posted');
  return { status: 200, text: `posted in ${where.channel}` };
}
