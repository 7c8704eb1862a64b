import type { Finding, Topology } from '../../core/types.ts';
import {
  describeChange,
  diffTopologies,
  incidentFindings,
  redisIsDeciding,
  type WatchChange,
} from '../../core/watch/diff.ts';
import type { Logger } from '../../logger.ts';
import { findingKey, formatDuration } from './format.ts';
import { planSignature } from './plan-signature.ts';
import type { ClusterWatchState, IncidentState, WatchPoster } from './ports.ts';

/** After a plan finishes, its summary (posted by the chat service after a settle scan) goes first. */
const SUMMARY_FIRST_MS = 1500;

/** What the incident transitions need (built once by createWatcher). */
export interface IncidentContext {
  poster: WatchPoster;
  graceMs: number;
  log: Logger;
  /** Throws LeaseLost when this process is no longer the leader: called right before each post. */
  ensureLease(): Promise<void>;
  /** Where a cluster's incidents and notices go: its own channel, else WATCH_CHANNEL. */
  channelOf(cluster: string): string;
}

/** The first message: what degraded since the last healthy scan, and the plan. */
export async function openIncident(
  ctx: IncidentContext,
  name: string,
  state: ClusterWatchState,
  scan: { topology: Topology; findings: Finding[]; changes: WatchChange[] },
  now: number,
): Promise<void> {
  const { topology, findings, changes } = scan;
  const since = state.pendingSince ?? now;
  const sinceHealthy = diffTopologies(state.baseline ?? null, topology);
  const lines = [
    `:rotating_light: Cluster *${name}* degraded${now - since >= 1000 ? ` ${formatDuration(now - since)} ago` : ''}.`,
    ...sinceHealthy.map((c) => `• ${describeChange(c)}`),
  ];
  await ctx.ensureLease();
  const posted = await ctx.poster.openIncident({
    cluster: name,
    channel: ctx.channelOf(name),
    topology,
    findings,
    lines,
  });
  const signature = planSignature(name, topology, findings);
  state.incident = {
    channel: ctx.channelOf(name),
    ts: posted.ts,
    openedAt: since,
    announced: [
      ...new Set([
        ...sinceHealthy.map((c) => c.key),
        ...changes.map((c) => c.key),
        ...incidentFindings(findings, topology).map(findingKey),
      ]),
    ],
    ...(posted.planId ? { planId: posted.planId } : {}),
    ...(posted.planId && signature ? { planSignature: signature } : {}),
  };
  ctx.log.info({ cluster: name, ts: posted.ts, plan: posted.planId }, 'watcher: incident opened');
}

/** In the thread: what changed that was not said yet, and a plan when a different one became possible. */
export async function continueIncident(
  ctx: IncidentContext,
  name: string,
  state: ClusterWatchState,
  incident: IncidentState,
  scan: { topology: Topology; findings: Finding[]; changes: WatchChange[] },
): Promise<void> {
  const { topology, findings, changes } = scan;
  const announced = new Set(incident.announced);
  const serious = incidentFindings(findings, topology);
  const fresh = changes.filter((c) => !announced.has(c.key));
  const newFindings = serious.filter((f) => !announced.has(findingKey(f)));
  const remember = () => {
    for (const c of fresh) announced.add(c.key);
    for (const f of newFindings) announced.add(findingKey(f));
    incident.announced = [...announced];
  };

  // A plan is being carried out: its own thread reports every step; what it changes is not news.
  if (await ctx.poster.clusterBusy(name)) {
    remember();
    return;
  }
  const plan = incident.planId ? await ctx.poster.planState(incident.planId) : null;
  if (plan && (plan.status === 'failed' || plan.status === 'stale')) {
    // It did not fix things: the next plan may well be the same one, and that is worth offering again.
    incident.planSignature = undefined;
  }
  const signature = redisIsDeciding(topology, findings)
    ? incident.planSignature
    : planSignature(name, topology, findings);
  const offer = signature !== undefined && signature !== incident.planSignature;
  if (fresh.length === 0 && !offer) return;

  const lines = fresh.map((c) => `• ${describeChange(c)}`);
  if (lines.length === 0) lines.push(...newFindings.map((f) => `• ${f.summary}`));
  if (offer)
    lines.push(plan?.status === 'proposed' ? 'A different plan fits now:' : 'A plan is possible now:');
  await ctx.ensureLease();
  const replied = await ctx.poster.reply({
    cluster: name,
    channel: incident.channel,
    threadTs: incident.ts,
    lines: lines.length > 0 ? lines : ['The situation changed.'],
    ...(offer ? { offerPlan: { topology, findings } } : {}),
    ...(offer && plan?.status === 'proposed' && incident.planId ? { withdraw: incident.planId } : {}),
  });
  remember();
  if (offer) {
    incident.planSignature = signature;
    if (replied.planId) incident.planId = replied.planId;
  }
  state.incident = incident;
}

/** The all-clear (or, for a blip nobody acted on, the first message rewritten in place). */
export async function closeIncident(
  ctx: IncidentContext,
  name: string,
  state: ClusterWatchState,
  incident: IncidentState,
  changes: WatchChange[],
  now: number,
): Promise<void> {
  if (await ctx.poster.clusterBusy(name)) return;
  const plan = incident.planId ? await ctx.poster.planState(incident.planId) : null;
  if (plan?.finishedAt !== undefined && now - plan.finishedAt < SUMMARY_FIRST_MS) return;
  const lasted = now - incident.openedAt;
  const recovered = changes
    .filter((c) => c.kind === 'node-recovered' || c.kind === 'slots-recovered' || c.kind === 'node-appeared')
    .map((c) => `• ${describeChange(c)}`);
  // Nobody acted on it (no plan ran): the incident was a blip after all; say so in place, not in a new message.
  const acted = plan !== null && plan.status !== 'proposed' && plan.status !== 'expired';
  await ctx.ensureLease();
  if (lasted < ctx.graceMs && !acted) {
    await ctx.poster.updateRoot({
      cluster: name,
      channel: incident.channel,
      ts: incident.ts,
      lines: [
        `:white_check_mark: Cluster *${name}* degraded briefly and recovered by itself after ${formatDuration(lasted)} (within the ${formatDuration(ctx.graceMs)} grace period). Nothing to do.`,
        ...recovered,
      ],
      ...(incident.planId ? { planId: incident.planId } : {}),
    });
  } else {
    await ctx.poster.reply({
      cluster: name,
      channel: incident.channel,
      threadTs: incident.ts,
      lines: [
        `:white_check_mark: All clear: cluster *${name}* is healthy again. The incident lasted ${formatDuration(lasted)}.`,
        ...recovered,
      ],
      ...(plan?.status === 'proposed' && incident.planId ? { withdraw: incident.planId } : {}),
    });
  }
  state.incident = undefined;
  ctx.log.info({ cluster: name, lastedMs: lasted }, 'watcher: incident closed');
}
