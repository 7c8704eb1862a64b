import { type AlertmanagerPayload, alertNames } from '../../core/alerts/alertmanager-payload.ts';
import { incidentFindings } from '../../core/watch/diff.ts';
import type { ClusterEntry } from '../clusters.ts';
import { esc } from '../messages/kit.ts';
import { formatDuration } from '../watch/format.ts';
import { type AlertAnswer, type AlertContext, alertsTotal } from './context.ts';
import { alertScan } from './scan.ts';

/** A resolved group: said in its thread; the all-clear closes the incident when the cluster is healthy. */
export async function alertResolved(
  ctx: AlertContext,
  p: AlertmanagerPayload,
  entry: ClusterEntry,
): Promise<AlertAnswer> {
  const { poster } = ctx;
  const name = entry.name;
  const group = await ctx.groups.load(p.groupKey);
  const watch = await ctx.watch.load(name);
  const where =
    group ?? (watch.incident ? { channel: watch.incident.channel, ts: watch.incident.ts } : undefined);
  if (!where) {
    alertsTotal.inc({ status: 'resolved', outcome: 'nothing-open' });
    return { status: 200, text: 'resolved: no thread of this group or cluster is open, nothing posted' };
  }
  const lines = [
    `:white_check_mark: Alertmanager: alert resolved — *${esc(alertNames(p).join(', '))}* for cluster *${esc(name)}*.`,
  ];
  const s = await alertScan(entry, ctx.scanTimeoutMs);
  const healthy = s.ok && incidentFindings(s.findings, s.topology).length === 0;
  const closes = healthy && watch.incident?.ts === where.ts && !(await poster.clusterBusy(name));
  if (closes && watch.incident) {
    const plan = watch.incident.planId ? await poster.planState(watch.incident.planId) : null;
    lines.push(
      `:white_check_mark: All clear: cluster *${esc(name)}* is healthy again. The incident lasted ${formatDuration(ctx.clock.now() - watch.incident.openedAt)}.`,
    );
    await poster.reply({
      cluster: name,
      channel: where.channel,
      threadTs: where.ts,
      lines,
      ...(plan?.status === 'proposed' && watch.incident.planId ? { withdraw: watch.incident.planId } : {}),
    });
    await ctx.watch.setIncident(name, undefined);
  } else {
    if (!s.ok) lines.push(`I could not check the cluster: ${esc(s.error)}.`);
    else if (!healthy)
      lines.push(
        `The cluster is not healthy yet: ${esc(incidentFindings(s.findings, s.topology)[0]?.summary ?? '')}`,
      );
    await poster.reply({ cluster: name, channel: where.channel, threadTs: where.ts, lines });
  }
  if (group) await ctx.groups.save(p.groupKey, { ...group, status: 'resolved' });
  alertsTotal.inc({ status: 'resolved', outcome: closes ? 'all-clear' : 'posted' });
  return { status: 200, text: closes ? 'resolved: all clear posted' : 'resolved: posted' };
}
