import type { PlanStatus } from '../../core/plan-record.ts';
import type { Finding, Topology } from '../../core/types.ts';

/** Where a plan the watcher proposed stands (from the plan store). */
export interface WatchedPlan {
  status: PlanStatus;
  /** When it reached a terminal status (epoch ms), if it did. */
  finishedAt?: number;
}

/** Where the watcher's words go (src/app/watch/poster.ts): incidents look exactly like `diagnose`. */
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

/**
 * The watcher's lease and per-cluster state, kept where every bot replica sees them (the control Redis:
 * src/adapters/store/watch-state.ts), so a new leader continues the same thread instead of starting another.
 */
export interface WatchStore {
  /** Renews the watch lease `owner` holds, or takes it when free; `held-elsewhere` when another process has it. */
  holdLease(owner: string, ttlMs: number): Promise<'renewed' | 'acquired' | 'held-elsewhere'>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renewLease(owner: string, ttlMs: number): Promise<boolean>;
  /** Hands the lease over (a no-op when `owner` does not hold it). */
  releaseLease(owner: string): Promise<void>;
  /** A cluster's state; `{}` when nothing is stored. */
  load(cluster: string): Promise<ClusterWatchState>;
  save(cluster: string, state: ClusterWatchState): Promise<void>;
  /** Replaces only the open incident, re-reading the rest right before writing (the alert intake's share). */
  setIncident(cluster: string, incident: IncidentState | undefined): Promise<void>;
}
