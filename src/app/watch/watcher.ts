/**
 * Watch mode: the bot speaks first when a cluster degrades. Down slots open an incident at once; what can wait
 * (a lost replica, a failover Redis made, a silent node) only once it outlasts the grace period, so a flap says nothing.
 */
import type { Clock, TopologySource } from '../../core/ports.ts';
import { analyzeTopology } from '../../core/topology/analyze.ts';
import type { Finding, Topology } from '../../core/types.ts';
import { diffTopologies, incidentFindings, onlySoft, redisIsDeciding } from '../../core/watch/diff.ts';
import type { Logger } from '../../logger.ts';
import { formatDuration } from './format.ts';
import { closeIncident, continueIncident, type IncidentContext, openIncident } from './incident.ts';
import type { ClusterWatchState, WatchPoster, WatchStore } from './ports.ts';
import { createRounds } from './rounds.ts';
import { trim, watchScan } from './scan.ts';

/** A reused picture (a quiet round) keeps its findings: analysed once per topology object. */
const findingsByTopology = new WeakMap<Topology, Finding[]>();
function findingsOf(topology: Topology): Finding[] {
  let findings = findingsByTopology.get(topology);
  if (!findings) {
    findings = analyzeTopology(topology);
    findingsByTopology.set(topology, findings);
  }
  return findings;
}

export interface WatcherOptions {
  /** The lease and the per-cluster state (src/adapters/store/watch-state.ts). */
  store: WatchStore;
  /** `channel`: where this cluster's incidents go (its own channel); default `channel` below. */
  clusters: WatchedCluster[];
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

export interface WatchedCluster {
  name: string;
  source: TopologySource;
  channel?: string;
}

/** What one cluster's round needs, besides the incident transitions'. */
interface WatchContext extends IncidentContext {
  store: WatchStore;
  clock: Clock;
  intervalMs: number;
  scanTimeoutMs: number;
  /**
   * Per cluster, the last scan when its round ended healthy with nothing open or pending. When the next scan
   * returns that very object (nothing that matters changed: TopologySource's reuseUnchanged), the round
   * has nothing to do for it: no analysis, no state read or written.
   */
  quiet: Map<string, Topology>;
}

/** Says something in the incident's thread when one is open, else in the channel. */
async function say(
  ctx: WatchContext,
  cluster: string,
  state: ClusterWatchState,
  lines: string[],
): Promise<void> {
  await ctx.ensureLease();
  if (state.incident)
    await ctx.poster.reply({ cluster, channel: state.incident.channel, threadTs: state.incident.ts, lines });
  else await ctx.poster.notice({ cluster, channel: ctx.channelOf(cluster), lines });
}

/** A scan that failed: said once, until scans work again. */
async function scanFailed(ctx: WatchContext, name: string, state: ClusterWatchState, err: unknown) {
  const why = err instanceof Error ? err.message : String(err);
  if (state.scanFailing) return;
  await say(ctx, name, state, [
    `:warning: I cannot scan cluster *${name}*: ${why}`,
    `I keep trying every ${formatDuration(ctx.intervalMs)} and will say when it works again.`,
  ]);
  state.scanFailing = why;
  await ctx.store.save(name, state);
}

/** One cluster's round: the incident state machine (healthy · pending · open), its state kept in the store. */
async function watchCluster(ctx: WatchContext, cluster: WatchedCluster): Promise<void> {
  const name = cluster.name;
  let topology: Topology | undefined;
  let scanError: unknown;
  try {
    topology = await watchScan(cluster, ctx.scanTimeoutMs);
  } catch (err) {
    scanError = err;
  }
  if (topology && ctx.quiet.get(name) === topology) return;
  ctx.quiet.delete(name);
  const state = await ctx.store.load(name);
  if (!topology) return scanFailed(ctx, name, state, scanError);

  const now = ctx.clock.now();
  if (state.scanFailing) {
    await say(ctx, name, state, [`:white_check_mark: Scans of cluster *${name}* work again.`]);
    state.scanFailing = undefined;
  }
  const findings = findingsOf(topology);
  const serious = incidentFindings(findings, topology);
  const changes = diffTopologies(state.last ?? null, topology);
  state.last = trim(topology);

  if (serious.length === 0) {
    state.pendingSince = undefined;
    state.baseline = state.last;
    if (state.incident) await closeIncident(ctx, name, state, state.incident, changes, now);
    await ctx.store.save(name, state);
    if (!state.incident) ctx.quiet.set(name, topology);
    return;
  }

  state.pendingSince ??= now;
  if (!state.incident) {
    // Only what cannot wait is said at once: slots at risk that Redis is not about to save by itself. A blip,
    // a replica lost, or a failover Redis is still deciding get the grace period (a flap then says nothing).
    // cluster_state:fail alone (no slot down) is a node that just restarted or sits in a minority: it can wait.
    const urgent = serious.some((f) => f.severity === 'critical' && f.code !== 'cluster-state-fail');
    const waiting = !urgent || onlySoft(findings, topology) || redisIsDeciding(topology, findings);
    if (!(waiting && now - state.pendingSince < ctx.graceMs))
      await openIncident(ctx, name, state, { topology, findings, changes }, now);
    await ctx.store.save(name, state);
    return;
  }
  await continueIncident(ctx, name, state, state.incident, { topology, findings, changes });
  await ctx.store.save(name, state);
}

/**
 * Scans each cluster every interval and speaks first when one degrades. One process at a time holds the
 * lease in the control Redis, so two bot replicas never both post.
 */
export function createWatcher(opts: WatcherOptions) {
  const log = opts.logger.child({ component: 'watcher' });
  const quiet = new Map<string, Topology>();
  const rounds = createRounds({
    store: opts.store,
    owner: opts.owner,
    leaseMs: opts.leaseMs ?? Math.max(3 * opts.intervalMs, 5000),
    intervalMs: opts.intervalMs,
    concurrency: opts.concurrency ?? 8,
    clusters: opts.clusters,
    log,
    // Another leader may have moved the stored state on meanwhile: read every cluster in full again.
    onLeaseChange: () => quiet.clear(),
    watchCluster: (cluster) => watchCluster(ctx, cluster),
  });
  const ctx: WatchContext = {
    store: opts.store,
    poster: opts.poster,
    clock: opts.clock,
    graceMs: opts.graceMs,
    intervalMs: opts.intervalMs,
    scanTimeoutMs: opts.scanTimeoutMs ?? 1000,
    log,
    quiet,
    ensureLease: rounds.ensureLease,
    channelOf: (cluster) => opts.clusters.find((c) => c.name === cluster)?.channel ?? opts.channel,
  };
  return {
    /** Starts scanning; the first round runs at once. */
    start: rounds.start,
    /** Runs one round now (tests, and the sandbox after chaos). */
    tick: rounds.tick,
    /** Stops the timer, waits for the round in progress, and hands the lease over. */
    stop: rounds.stop,
  };
}

export type Watcher = ReturnType<typeof createWatcher>;
