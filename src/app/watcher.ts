import type { Redis } from 'ioredis';
import type { Clock, TopologySource } from '../core/ports.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { Finding, Topology } from '../core/types.ts';
import { describeChange, diffTopologies, isDegraded, type WatchChange } from '../core/watch/diff.ts';
import type { Logger } from '../logger.ts';

/** Where the watcher's words go. The chat service implements it, so posts look exactly like `diagnose`. */
export interface WatchPoster {
  /** First message of an incident: what happened, what it means, and the plan with Approve / Reject. */
  openIncident(input: {
    cluster: string;
    channel: string;
    topology: Topology;
    findings: Finding[];
    lines: string[];
  }): Promise<{ ts: string; planId?: string }>;
  /** A reply in the incident's thread; `offerPlan` also proposes a (new) plan there, with buttons. */
  reply(input: {
    cluster: string;
    channel: string;
    threadTs: string;
    lines: string[];
    offerPlan?: { topology: Topology; findings: Finding[] };
  }): Promise<{ planId?: string }>;
  /** Rewrites the first message, e.g. when the incident resolved itself within the grace period. */
  updateRoot(input: { cluster: string; channel: string; ts: string; lines: string[] }): Promise<void>;
  /** A message outside any incident (scan failures). */
  notice(input: { cluster: string; channel: string; lines: string[] }): Promise<void>;
}

export interface WatcherOptions {
  redis: Redis;
  prefix: string;
  clusters: { name: string; source: TopologySource }[];
  poster: WatchPoster;
  channel: string;
  intervalMs: number;
  graceMs: number;
  clock: Clock;
  logger: Logger;
  /** Identifies this process in the lease. */
  owner: string;
  scanTimeoutMs?: number;
}

/** What survives a change of leader: the open incident and what it already said. */
interface IncidentState {
  channel: string;
  ts: string;
  openedAt: number;
  announced: string[];
  planId?: string;
  /** Steps of the last offered plan, to tell when a different plan became possible. */
  planShape?: string;
}
interface ClusterWatchState {
  incident?: IncidentState;
  scanFailing?: string;
}

/** Codes that may be a blip (a slow node, a GC pause): announced only when they outlast the grace period. */
const SOFT_CODES = new Set(['node-unreachable', 'node-pfail']);

const LEASE_RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const LEASE_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function findingKey(f: Finding): string {
  return `finding:${f.code}:${[...f.nodes].sort().join(',')}:${(f.addrs ?? []).join(',')}`;
}

function planShapeOf(findings: Finding[]): string {
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.code}:${[...f.nodes].sort().join(',')}`)
    .sort()
    .join('|');
}

/**
 * Scans each cluster every interval and speaks first when one degrades. One process at a time holds the
 * lease in the control Redis, so two bot replicas never both post; the incident (thread, what was said)
 * lives there too, so a new leader continues the same thread.
 */
export function createWatcher(opts: WatcherOptions) {
  const leaseKey = `${opts.prefix}:watch:lease`;
  const stateKey = (cluster: string) => `${opts.prefix}:watch:state:${cluster}`;
  const leaseMs = Math.max(3 * opts.intervalMs, 5000);
  const memory = new Map<
    string,
    { last: Topology | null; baseline: Topology | null; degradedSince?: number }
  >();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function holdLease(): Promise<boolean> {
    const renewed = await opts.redis.eval(LEASE_RENEW, 1, leaseKey, opts.owner, String(leaseMs));
    if (renewed === 1) return true;
    const got = await opts.redis.set(leaseKey, opts.owner, 'PX', leaseMs, 'NX');
    return got === 'OK';
  }

  async function loadState(cluster: string): Promise<ClusterWatchState> {
    const raw = await opts.redis.get(stateKey(cluster));
    return raw ? (JSON.parse(raw) as ClusterWatchState) : {};
  }
  async function saveState(cluster: string, state: ClusterWatchState): Promise<void> {
    await opts.redis.set(stateKey(cluster), JSON.stringify(state));
  }

  async function tickCluster(cluster: { name: string; source: TopologySource }): Promise<void> {
    const mem = memory.get(cluster.name) ?? { last: null, baseline: null };
    memory.set(cluster.name, mem);
    const state = await loadState(cluster.name);
    const now = opts.clock.now();

    let topology: Topology;
    try {
      topology = await cluster.source.scan(
        opts.scanTimeoutMs ? { timeoutMs: opts.scanTimeoutMs } : undefined,
      );
      if (!topology.probes.some((p) => p.outcome === 'ok'))
        throw new Error(
          `no node answered (${topology.probes.map((p) => `${p.addr}: ${p.outcome}`).join(', ') || 'no address to ask'})`,
        );
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (!state.scanFailing) {
        state.scanFailing = why;
        await saveState(cluster.name, state);
        const lines = [
          `:warning: I cannot scan cluster *${cluster.name}*: ${why}`,
          `I keep trying every ${formatDuration(opts.intervalMs)} and will say when it works again.`,
        ];
        if (state.incident)
          await opts.poster.reply({
            cluster: cluster.name,
            channel: state.incident.channel,
            threadTs: state.incident.ts,
            lines,
          });
        else await opts.poster.notice({ cluster: cluster.name, channel: opts.channel, lines });
      }
      return;
    }
    if (state.scanFailing) {
      const lines = [`:white_check_mark: Scans of cluster *${cluster.name}* work again.`];
      state.scanFailing = undefined;
      await saveState(cluster.name, state);
      if (state.incident)
        await opts.poster.reply({
          cluster: cluster.name,
          channel: state.incident.channel,
          threadTs: state.incident.ts,
          lines,
        });
      else await opts.poster.notice({ cluster: cluster.name, channel: opts.channel, lines });
    }

    const findings = analyzeTopology(topology);
    const degraded = isDegraded(findings);
    const changes = diffTopologies(mem.last, topology);
    mem.last = topology;

    if (!degraded) {
      mem.degradedSince = undefined;
      mem.baseline = topology;
      if (state.incident) {
        const lasted = now - state.incident.openedAt;
        const recovered = changes.filter((c) => c.kind === 'node-recovered' || c.kind === 'slots-recovered');
        if (lasted < opts.graceMs) {
          await opts.poster.updateRoot({
            cluster: cluster.name,
            channel: state.incident.channel,
            ts: state.incident.ts,
            lines: [
              `:white_check_mark: Cluster *${cluster.name}* recovered by itself after ${formatDuration(lasted)} (within the ${formatDuration(opts.graceMs)} grace period).`,
              ...recovered.map((c) => `• ${describeChange(c)}`),
            ],
          });
        } else {
          await opts.poster.reply({
            cluster: cluster.name,
            channel: state.incident.channel,
            threadTs: state.incident.ts,
            lines: [
              `:white_check_mark: All clear: cluster *${cluster.name}* is healthy again. The incident lasted ${formatDuration(lasted)}.`,
              ...recovered.map((c) => `• ${describeChange(c)}`),
            ],
          });
        }
        state.incident = undefined;
        await saveState(cluster.name, state);
      }
      return;
    }

    mem.degradedSince ??= now;
    const serious = findings.filter((f) => f.severity !== 'info');
    const onlySoft = serious.every((f) => SOFT_CODES.has(f.code));
    const inFlux = topology.nodes.some((n) => n.health === 'pfail');

    if (!state.incident) {
      // A blip (or Redis still deciding on a failover) gets the grace period before anyone is paged.
      if ((onlySoft || inFlux) && now - mem.degradedSince < opts.graceMs) return;
      const sinceHealthy = diffTopologies(mem.baseline, topology);
      const lines = [
        `:rotating_light: Cluster *${cluster.name}* degraded ${formatDuration(now - mem.degradedSince)} ago.`,
        ...sinceHealthy.map((c) => `• ${describeChange(c)}`),
      ];
      const posted = await opts.poster.openIncident({
        cluster: cluster.name,
        channel: opts.channel,
        topology,
        findings,
        lines,
      });
      state.incident = {
        channel: opts.channel,
        ts: posted.ts,
        openedAt: mem.degradedSince,
        announced: [...sinceHealthy.map((c) => c.key), ...serious.map(findingKey)],
        planShape: planShapeOf(findings),
        ...(posted.planId ? { planId: posted.planId } : {}),
      };
      await saveState(cluster.name, state);
      return;
    }

    // Incident open: only what was not said yet goes into its thread.
    const incident = state.incident;
    const announced = new Set(incident.announced);
    const fresh: WatchChange[] = changes.filter((c) => !announced.has(c.key));
    const newFindings = serious.filter((f) => !announced.has(findingKey(f)));
    const shape = planShapeOf(findings);
    const planChanged = shape !== incident.planShape && !inFlux;
    if (fresh.length === 0 && !planChanged) return;
    const lines = fresh.map((c) => `• ${describeChange(c)}`);
    if (planChanged && fresh.length === 0) lines.push(...newFindings.map((f) => `• ${f.summary}`));
    const replied = await opts.poster.reply({
      cluster: cluster.name,
      channel: incident.channel,
      threadTs: incident.ts,
      lines: lines.length > 0 ? lines : ['The situation changed.'],
      ...(planChanged ? { offerPlan: { topology, findings } } : {}),
    });
    for (const c of fresh) announced.add(c.key);
    for (const f of newFindings) announced.add(findingKey(f));
    incident.announced = [...announced];
    if (planChanged) incident.planShape = shape;
    if (replied.planId) incident.planId = replied.planId;
    await saveState(cluster.name, state);
  }

  let chain: Promise<void> = Promise.resolve();
  /** One round at a time in this process, whoever asks for it (the timer, the sandbox after chaos). */
  function tick(): Promise<void> {
    chain = chain.then(round, round);
    return chain;
  }

  async function round(): Promise<void> {
    try {
      if (!(await holdLease())) return;
      for (const cluster of opts.clusters) {
        if (stopped) return;
        try {
          await tickCluster(cluster);
        } catch (err) {
          opts.logger.error({ err, cluster: cluster.name }, 'watcher: tick failed');
        }
      }
    } catch (err) {
      opts.logger.warn({ err }, 'watcher: could not reach the control Redis for the lease');
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, opts.intervalMs);
  }

  return {
    /** Starts scanning; the first scan runs at once. */
    start(): void {
      stopped = false;
      running = tick().finally(schedule);
    },
    /** Runs one round now (tests, and `npm run sandbox` after chaos). */
    tick,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await opts.redis.eval(LEASE_RELEASE, 1, leaseKey, opts.owner).catch(() => undefined);
    },
  };
}

export type Watcher = ReturnType<typeof createWatcher>;
