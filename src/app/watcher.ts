/**
 * Watch mode (issue 9): the bot speaks first when a cluster degrades.
 *
 * Every interval, the one process holding the lease scans each cluster, compares the scan with the last one
 * and posts what changed: the first message of an incident is the summary plus the plan (exactly what
 * `diagnose` posts), later changes go into its thread, and the all-clear closes the thread with the duration.
 *
 * When to speak: slots that are down, and that Redis is not about to save by itself, at once; anything that
 * can wait (a replica lost, a failover Redis already made, a node that does not answer, nodes that still
 * disagree) once it has lasted the grace period — so a flap says nothing, and a failover is reported once,
 * with the plan for what Redis leaves undone. An incident that ends within the grace period, with no plan run,
 * rewrites its first message in place. While a plan runs, its own thread tells the story; the all-clear waits.
 *
 * Everything the watcher knows (last scan, last healthy scan, the open incident and what it already said) is
 * kept in the control Redis, so a new leader continues the same thread instead of starting another.
 */
import type { Redis } from 'ioredis';
import type { PlanStatus } from '../core/plan-record.ts';
import type { Clock, TopologySource } from '../core/ports.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { ClusterNode, Finding, Probe, Topology } from '../core/types.ts';
import {
  describeChange,
  diffTopologies,
  incidentFindings,
  onlySoft,
  redisIsDeciding,
  type WatchChange,
} from '../core/watch/diff.ts';
import { withDeadline } from '../deadline.ts';
import type { Logger } from '../logger.ts';
import { proposeFromFindings } from './plans/propose.ts';

/** Where a plan the watcher proposed stands (from the plan store). */
export interface WatchedPlan {
  status: PlanStatus;
  /** When it reached a terminal status (epoch ms), if it did. */
  finishedAt?: number;
}

/** Where the watcher's words go (src/app/watch-poster.ts): incidents look exactly like `diagnose`. */
export interface WatchPoster {
  /** First message of an incident: what happened, what it means, and the plan with Approve / Reject. */
  openIncident(input: {
    cluster: string;
    channel: string;
    topology: Topology;
    findings: Finding[];
    lines: string[];
  }): Promise<{ ts: string; planId?: string }>;
  /**
   * A reply in the incident's thread; `offerPlan` also proposes a (new) plan there, with buttons. `withdraw`
   * names a plan that no longer applies (replaced, or the incident is over): if nobody voted yet, its buttons go.
   */
  reply(input: {
    cluster: string;
    channel: string;
    threadTs: string;
    lines: string[];
    offerPlan?: { topology: Topology; findings: Finding[] };
    withdraw?: string;
  }): Promise<{ planId?: string }>;
  /** Rewrites the first message, e.g. when the incident resolved itself within the grace period. */
  updateRoot(input: {
    cluster: string;
    channel: string;
    ts: string;
    lines: string[];
    planId?: string;
  }): Promise<void>;
  /** A message outside any incident (scan failures). */
  notice(input: { cluster: string; channel: string; lines: string[] }): Promise<void>;
  /** A plan's status, or null when the store does not know it. */
  planState(planId: string): Promise<WatchedPlan | null>;
  /** Some plan of this cluster is approved, queued or running: its own thread tells the story meanwhile. */
  clusterBusy(cluster: string): Promise<boolean>;
}

export interface WatcherOptions {
  redis: Redis;
  prefix: string;
  /** `channel`: where this cluster's incidents go (its own channel); default `channel` below. */
  clusters: { name: string; source: TopologySource; channel?: string }[];
  poster: WatchPoster;
  /** WATCH_CHANNEL: where incidents of clusters without a channel of their own go. */
  channel: string;
  intervalMs: number;
  graceMs: number;
  clock: Clock;
  logger: Logger;
  /** Identifies this process in the lease. */
  owner: string;
  /** Per-node scan bound; the whole scan is cut at about 3× this. Default 1000. */
  scanTimeoutMs?: number;
  /** Lease length; default max(3 × interval, 5 s). */
  leaseMs?: number;
  /** Clusters read at once in a round (a frozen node holds its cluster ~1 s, not the others). Default 8. */
  concurrency?: number;
}

/** What survives a change of leader: the open incident and what it already said. */
export interface IncidentState {
  channel: string;
  ts: string;
  openedAt: number;
  /** Keys of changes and findings already said in this incident. */
  announced: string[];
  /** The plan last offered (root or thread). */
  planId?: string;
  /** Identity of that plan's steps, to tell when a different plan became possible. */
  planSignature?: string;
}

export interface ClusterWatchState {
  incident?: IncidentState;
  /** Why scans fail, while they do (said once). */
  scanFailing?: string;
  /** First scan of the current degradation, while it waits out the grace period. */
  pendingSince?: number;
  /** The previous scan and the last healthy one, trimmed to what the diff reads. */
  last?: Topology;
  baseline?: Topology;
}

/** Where the watcher keeps a cluster's state in the control Redis (the Alertmanager intake shares it). */
export const watchStateKey = (prefix: string, cluster: string) => `${prefix}:watch:state:${cluster}`;

/** The lease was lost mid-round: say nothing more, the new leader carries on from the stored state. */
class LeaseLost extends Error {}

const LEASE_RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const LEASE_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** After a plan finishes, its summary (posted by the chat service after a settle scan) goes first. */
const SUMMARY_FIRST_MS = 1500;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function findingKey(f: Finding): string {
  return `finding:${f.code}:${[...f.nodes].sort().join(',')}:${[...(f.addrs ?? [])].sort().join(',')}`;
}

/** The plan the planner would make now, as an identity: same steps on the same nodes = same plan. */
export function planSignature(cluster: string, topology: Topology, findings: Finding[]): string | undefined {
  const outcome = proposeFromFindings(topology, findings, {
    cluster,
    requestedBy: 'watcher',
    now: 0,
    ttlMs: 1,
  });
  if (!outcome.ok) return undefined;
  return outcome.plan.steps
    .map(({ sentence: _s, commands: _c, risk: _r, ...step }) => JSON.stringify(step))
    .join('|');
}

/** What the diff needs of a topology (the stored copy stays small on big clusters). */
function trim(t: Topology): Topology {
  return {
    cluster: t.cluster,
    mode: t.mode,
    takenAt: t.takenAt,
    probes: [],
    nodes: t.nodes.map(({ info: _i, replication: _r, persistence: _p, pod: _pod, ...n }): ClusterNode => n),
    outsiders: t.outsiders.map(
      (o): Probe => ({
        addr: o.addr,
        source: o.source,
        outcome: o.outcome,
        ms: o.ms,
        ...(o.myId ? { myId: o.myId } : {}),
        ...(o.pod ? { pod: o.pod } : {}),
      }),
    ),
    disagreements: [],
    fingerprint: t.fingerprint,
  };
}

/** `p` bounded by `ms`; past it, an error naming `what`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(p, ms, () => new Error(`${what} took longer than ${ms} ms`));
}

/**
 * Scans each cluster every interval and speaks first when one degrades. One process at a time holds the
 * lease in the control Redis, so two bot replicas never both post.
 */
export function createWatcher(opts: WatcherOptions) {
  const log = opts.logger.child({ component: 'watcher' });
  const leaseKey = `${opts.prefix}:watch:lease`;
  const stateKey = (cluster: string) => watchStateKey(opts.prefix, cluster);
  const leaseMs = opts.leaseMs ?? Math.max(3 * opts.intervalMs, 5000);
  const scanTimeoutMs = opts.scanTimeoutMs ?? 1000;
  /**
   * Per cluster, the last scan when its round ended healthy with nothing open or pending. When the next scan
   * returns that very object (nothing that matters changed: TopologySource's reuseUnchanged), the round
   * has nothing to do for it: no analysis, no state read or written.
   */
  const quiet = new Map<string, Topology>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function holdLease(): Promise<boolean> {
    const renewed = await opts.redis.eval(LEASE_RENEW, 1, leaseKey, opts.owner, String(leaseMs));
    if (renewed === 1) return true;
    const got = await opts.redis.set(leaseKey, opts.owner, 'PX', leaseMs, 'NX');
    // Another leader may have moved the stored state on meanwhile: read every cluster in full again.
    quiet.clear();
    if (got === 'OK') log.info({ owner: opts.owner }, 'watcher: this process now watches');
    return got === 'OK';
  }

  /** Right before saying anything: still the leader? (A slow round may have outlived the lease.) */
  async function ensureLease(): Promise<void> {
    if (stopped) throw new LeaseLost('stopped');
    const renewed = await opts.redis.eval(LEASE_RENEW, 1, leaseKey, opts.owner, String(leaseMs));
    if (renewed !== 1) throw new LeaseLost('lease lost');
  }

  async function loadState(cluster: string): Promise<ClusterWatchState> {
    const raw = await opts.redis.get(stateKey(cluster));
    return raw ? (JSON.parse(raw) as ClusterWatchState) : {};
  }
  async function saveState(cluster: string, state: ClusterWatchState): Promise<void> {
    await opts.redis.set(stateKey(cluster), JSON.stringify(state));
  }

  async function scan(cluster: { name: string; source: TopologySource }): Promise<Topology> {
    const topology = await within(
      cluster.source.scan({ timeoutMs: scanTimeoutMs, reuseUnchanged: true }),
      scanTimeoutMs * 3 + 250,
      `reading cluster ${cluster.name}`,
    );
    if (!topology.probes.some((p) => p.outcome === 'ok')) {
      if (topology.probes.some((p) => p.authFailed))
        throw new Error(
          `authentication failed: the nodes refused our credentials (${topology.probes.map((p) => `${p.addr}: ${p.authFailed ? 'authentication failed' : p.outcome}`).join(', ')})`,
        );
      throw new Error(
        `no node answered (${topology.probes.map((p) => `${p.addr}: ${p.outcome}`).join(', ') || 'no address to ask'})`,
      );
    }
    return topology;
  }

  /** Where a cluster's incidents and notices go: its own channel, else WATCH_CHANNEL. */
  const channelOf = (cluster: string) =>
    opts.clusters.find((c) => c.name === cluster)?.channel ?? opts.channel;

  /** Says something in the incident's thread when one is open, else in the channel. */
  async function say(cluster: string, state: ClusterWatchState, lines: string[]): Promise<void> {
    await ensureLease();
    if (state.incident)
      await opts.poster.reply({
        cluster,
        channel: state.incident.channel,
        threadTs: state.incident.ts,
        lines,
      });
    else await opts.poster.notice({ cluster, channel: channelOf(cluster), lines });
  }

  async function tickCluster(cluster: { name: string; source: TopologySource }): Promise<void> {
    const name = cluster.name;
    let topology: Topology | undefined;
    let scanError: unknown;
    try {
      topology = await scan(cluster);
    } catch (err) {
      scanError = err;
    }
    if (topology && quiet.get(name) === topology) return;
    quiet.delete(name);
    const state = await loadState(name);

    if (!topology) {
      const why = scanError instanceof Error ? scanError.message : String(scanError);
      if (!state.scanFailing) {
        await say(name, state, [
          `:warning: I cannot scan cluster *${name}*: ${why}`,
          `I keep trying every ${formatDuration(opts.intervalMs)} and will say when it works again.`,
        ]);
        state.scanFailing = why;
        await saveState(name, state);
      }
      return;
    }
    const now = opts.clock.now();
    if (state.scanFailing) {
      await say(name, state, [`:white_check_mark: Scans of cluster *${name}* work again.`]);
      state.scanFailing = undefined;
    }

    const findings = analyzeTopology(topology);
    const serious = incidentFindings(findings, topology);
    const changes = diffTopologies(state.last ?? null, topology);
    state.last = trim(topology);

    if (serious.length === 0) {
      state.pendingSince = undefined;
      state.baseline = state.last;
      if (state.incident) await closeIncident(name, state, state.incident, changes, now);
      await saveState(name, state);
      if (!state.incident) quiet.set(name, topology);
      return;
    }

    state.pendingSince ??= now;
    if (!state.incident) {
      // Only what cannot wait is said at once: slots at risk that Redis is not about to save by itself. A blip,
      // a replica lost, or a failover Redis is still deciding get the grace period (a flap then says nothing).
      // cluster_state:fail alone (no slot down) is a node that just restarted or sits in a minority: it can wait.
      const urgent = serious.some((f) => f.severity === 'critical' && f.code !== 'cluster-state-fail');
      const waiting = !urgent || onlySoft(findings, topology) || redisIsDeciding(topology, findings);
      if (waiting && now - state.pendingSince < opts.graceMs) {
        await saveState(name, state);
        return;
      }
      await openIncident(name, state, topology, findings, changes, now);
      await saveState(name, state);
      return;
    }
    await continueIncident(name, state, state.incident, topology, findings, changes);
    await saveState(name, state);
  }

  async function openIncident(
    name: string,
    state: ClusterWatchState,
    topology: Topology,
    findings: Finding[],
    changes: WatchChange[],
    now: number,
  ): Promise<void> {
    const since = state.pendingSince ?? now;
    const sinceHealthy = diffTopologies(state.baseline ?? null, topology);
    const lines = [
      `:rotating_light: Cluster *${name}* degraded${now - since >= 1000 ? ` ${formatDuration(now - since)} ago` : ''}.`,
      ...sinceHealthy.map((c) => `• ${describeChange(c)}`),
    ];
    await ensureLease();
    const posted = await opts.poster.openIncident({
      cluster: name,
      channel: channelOf(name),
      topology,
      findings,
      lines,
    });
    const signature = planSignature(name, topology, findings);
    state.incident = {
      channel: channelOf(name),
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
    log.info({ cluster: name, ts: posted.ts, plan: posted.planId }, 'watcher: incident opened');
  }

  async function continueIncident(
    name: string,
    state: ClusterWatchState,
    incident: IncidentState,
    topology: Topology,
    findings: Finding[],
    changes: WatchChange[],
  ): Promise<void> {
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
    if (await opts.poster.clusterBusy(name)) {
      remember();
      return;
    }
    const plan = incident.planId ? await opts.poster.planState(incident.planId) : null;
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
    await ensureLease();
    const replied = await opts.poster.reply({
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

  async function closeIncident(
    name: string,
    state: ClusterWatchState,
    incident: IncidentState,
    changes: WatchChange[],
    now: number,
  ): Promise<void> {
    if (await opts.poster.clusterBusy(name)) return;
    const plan = incident.planId ? await opts.poster.planState(incident.planId) : null;
    if (plan?.finishedAt !== undefined && now - plan.finishedAt < SUMMARY_FIRST_MS) return;
    const lasted = now - incident.openedAt;
    const recovered = changes
      .filter(
        (c) => c.kind === 'node-recovered' || c.kind === 'slots-recovered' || c.kind === 'node-appeared',
      )
      .map((c) => `• ${describeChange(c)}`);
    // Nobody acted on it (no plan ran): the incident was a blip after all; say so in place, not in a new message.
    const acted = plan !== null && plan.status !== 'proposed' && plan.status !== 'expired';
    await ensureLease();
    if (lasted < opts.graceMs && !acted) {
      await opts.poster.updateRoot({
        cluster: name,
        channel: incident.channel,
        ts: incident.ts,
        lines: [
          `:white_check_mark: Cluster *${name}* degraded briefly and recovered by itself after ${formatDuration(lasted)} (within the ${formatDuration(opts.graceMs)} grace period). Nothing to do.`,
          ...recovered,
        ],
        ...(incident.planId ? { planId: incident.planId } : {}),
      });
    } else {
      await opts.poster.reply({
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
    log.info({ cluster: name, lastedMs: lasted }, 'watcher: incident closed');
  }

  let chain: Promise<void> = Promise.resolve();
  /** One round at a time in this process, whoever asks for it (the timer, a test, the sandbox after chaos). */
  function tick(): Promise<void> {
    chain = chain.then(round, round);
    return chain;
  }

  /**
   * The failure last logged per source (the lease, each cluster): a failure that repeats every interval
   * (Slack refusing a post, the control Redis down) is logged once, and its end once, not every round.
   */
  const failing = new Map<string, string>();
  function failed(key: string, err: unknown, fields: Record<string, unknown>, what: string): void {
    const message = (err as Error).message;
    if (failing.get(key) === message) {
      log.debug({ err: message, ...fields }, `${what} (again)`);
      return;
    }
    failing.set(key, message);
    log.error({ err: message, ...fields }, `${what}; retrying every round, logged again only if it changes`);
  }
  function succeeded(key: string, fields: Record<string, unknown>, what: string): void {
    if (!failing.delete(key)) return;
    log.info(fields, what);
  }

  async function round(): Promise<void> {
    if (stopped) return;
    try {
      if (!(await holdLease())) return;
      succeeded('lease', {}, 'watcher: the control Redis answers again');
    } catch (err) {
      failed('lease', err, {}, 'watcher: could not reach the control Redis for the lease');
      return;
    }
    // A few clusters at a time: a slow or frozen node holds up its own cluster, not the round.
    const queue = [...opts.clusters];
    let leaseLost = false;
    const worker = async () => {
      for (let cluster = queue.shift(); cluster; cluster = queue.shift()) {
        if (stopped || leaseLost) return;
        try {
          await tickCluster(cluster);
          succeeded(`cluster:${cluster.name}`, { cluster: cluster.name }, 'watcher: rounds work again');
        } catch (err) {
          if (err instanceof LeaseLost) {
            if (!leaseLost)
              log.warn(
                { cluster: cluster.name },
                'watcher: lost the lease mid-round; another process carries on',
              );
            leaseLost = true;
            return;
          }
          failed(`cluster:${cluster.name}`, err, { cluster: cluster.name }, 'watcher: round failed');
        }
      }
    };
    const width = Math.max(1, Math.min(opts.concurrency ?? 8, queue.length));
    await Promise.all(Array.from({ length: width }, worker));
  }

  /** Fixed rate: the next round starts one interval after this one started (at once if it ran over). */
  function schedule(startedAt: number): void {
    if (stopped) return;
    const wait = Math.max(0, startedAt + opts.intervalMs - performance.now());
    timer = setTimeout(() => {
      const t = performance.now();
      running = tick().finally(() => schedule(t));
    }, wait);
  }

  return {
    /** Starts scanning; the first round runs at once. */
    start(): void {
      stopped = false;
      const t = performance.now();
      running = tick().finally(() => schedule(t));
    },
    /** Runs one round now (tests, and the sandbox after chaos). */
    tick,
    /** Stops the timer, waits for the round in progress, and hands the lease over. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await chain.catch(() => undefined);
      await opts.redis.eval(LEASE_RELEASE, 1, leaseKey, opts.owner).catch(() => undefined);
    },
  };
}

export type Watcher = ReturnType<typeof createWatcher>;
