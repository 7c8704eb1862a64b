import type { ChaosAction } from '../../core/intents/parse-intent.ts';
import type { AuditLog, EventBus, PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Finding, Topology } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { ApprovalService } from '../approvals.ts';
import type { ChatMessage, ChatPort, ChatService } from '../chat-port.ts';
import type { ClusterRegistry } from '../clusters.ts';
import type { WatchPoster } from '../watch/ports.ts';
import type { PlanProposer } from '../watch/poster.ts';

/** Sandbox-only: breaks the local cluster (`/redis chaos …`). Returns what it did, as a message or lines. */
export type ChaosHandler = (req: {
  action: ChaosAction;
  node?: string;
  cluster: string;
  user: string;
}) => Promise<ChatMessage | string>;

export interface ChatSettings {
  /** Channel ids where commands are accepted; empty: any. */
  allowedChannels: readonly string[];
  /** Channels the bot posts incidents and alerts in on its own: accepted too, so their plans can be approved there. */
  postChannels?: readonly string[];
  /** Per-node scan bound; the whole scan is cut at about 3× this, so a frozen node never holds an answer longer. */
  scanTimeoutMs: number;
  planTtlMs: number;
  /** After a plan, how long the summary may wait for gossip to settle before reporting the cluster (default 10 s). */
  settleMs?: number;
  /** An approved plan no worker has started after this long gets a note in its thread (default 30 s; 0: off). */
  pickupWarnMs?: number;
  /**
   * How often plans that have not ended are re-read from the store (default 3000 ms; 0: off). Their progress
   * normally arrives as pub/sub events, which are lost while the control Redis restarts: this catches up.
   */
  reconcileMs?: number;
  /** Scans and plans per person per minute (RATE_LIMIT_PER_MINUTE; default 0: no limit). */
  ratePerMinute?: number;
}

export interface ChatServiceDeps {
  chat: ChatPort;
  clusters: ClusterRegistry;
  store: PlanStore;
  audit: AuditLog;
  approvals: ApprovalService;
  bus: Pick<EventBus, 'subscribe' | 'subscribePlan'>;
  logger: Logger;
  settings: ChatSettings;
  clock?: Clock;
  chaos?: ChaosHandler;
  /** Findings of a topology (default analyzeTopology). */
  analyze?: (t: Topology) => Finding[];
  /**
   * With several bot processes, exactly one keeps a plan's message and thread up to date: the one that
   * wins this claim (a lease in the control Redis). Default: this process always does.
   */
  claimPlan?: (planId: string) => Promise<boolean>;
  /**
   * Does the control Redis (plans, approvals, audit) answer? Asked when something unexpected fails, so the
   * answer can say plainly that it is down. Default: not asked.
   */
  controlHealthy?: () => Promise<boolean>;
}

/** What a running chat service exposes beyond the ChatService contract (tests, the watcher). */
export interface ChatServiceInternals extends ChatService, PlanProposer {
  /** Resolves when every pending plan-message / thread update has been sent. */
  idle(): Promise<void>;
  /** What the watcher posts through (src/app/watcher.ts): incidents look exactly like `diagnose`. */
  watchPoster: WatchPoster;
  /** Reconcile rounds run so far (tests wait on it to know a round saw the latest state). */
  reconcileRounds(): number;
}
