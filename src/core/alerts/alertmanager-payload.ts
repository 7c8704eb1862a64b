/**
 * Alertmanager's webhook payload (`version: "4"`), validated: what the bot reads of it, and a one-line reason
 * when it is not that shape. Pure. https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { z } from 'zod';

const labels = z.record(z.string(), z.string());

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

const payloadSchema = z.object({
  version: z.string().optional(),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(alertSchema).min(1),
});

export type AlertmanagerPayload = z.output<typeof payloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];

/** The payload, or the first thing wrong with it, in one line (`alerts[0].labels: expected record`). */
export function parseAlertmanagerPayload(
  body: unknown,
): { ok: true; value: AlertmanagerPayload } | { ok: false; error: string } {
  const r = payloadSchema.safeParse(body);
  if (r.success) {
    if (r.data.version !== undefined && r.data.version !== '4')
      return { ok: false, error: `version "${r.data.version}" is not supported (expected "4")` };
    return { ok: true, value: r.data };
  }
  const issue = r.error.issues[0];
  const path = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
  return { ok: false, error: `${path.replace(/^\./, '') || 'body'}: ${issue?.message ?? 'invalid'}` };
}

/**
 * The cluster an alert group is about: the value of `label` on the group (common labels), else on its alerts
 * (all must agree). undefined when none carries it; an error when the alerts name different clusters.
 */
export function alertCluster(
  p: AlertmanagerPayload,
  label: string,
): { ok: true; value: string | undefined } | { ok: false; error: string } {
  const common = p.commonLabels[label] ?? p.groupLabels[label];
  if (common) return { ok: true, value: common };
  const values = [...new Set(p.alerts.flatMap((a) => (a.labels[label] ? [a.labels[label]] : [])))];
  if (values.length > 1)
    return {
      ok: false,
      error: `the alerts of one group name several clusters (${label}: ${values.join(', ')})`,
    };
  return { ok: true, value: values[0] };
}

/** `RedisClusterDown`: the alert names of a group, in order, without repeats. */
export function alertNames(p: AlertmanagerPayload): string[] {
  return [...new Set(p.alerts.map((a) => a.labels.alertname ?? p.groupLabels.alertname ?? 'alert'))];
}

/** One line per alert (at most `max`): name, severity and summary. */
export function alertSummaries(p: AlertmanagerPayload, max = 5): string[] {
  const lines = p.alerts.slice(0, max).map((a) => {
    const name = a.labels.alertname ?? 'alert';
    const sev = a.labels.severity ? ` (${a.labels.severity})` : '';
    const summary = a.annotations.summary ?? a.annotations.description ?? p.commonAnnotations.summary ?? '';
    return `${name}${sev}${summary ? `: ${summary}` : ''}`;
  });
  if (p.alerts.length > max) lines.push(`…and ${p.alerts.length - max} more alerts`);
  return lines;
}
