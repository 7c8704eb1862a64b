/** What the composition takes (`ComposeOptions`) and what it hands back (`ComposedApp`). */
import type { Redis } from 'ioredis';
import type { RedisEventBus } from '../adapters/queue/event-bus.ts';
import type { PlanQueue } from '../adapters/queue/plan-queue.ts';
import type { PlanWorker, PlanWorkerOptions } from '../adapters/queue/plan-worker.ts';
import type { ControlPlanStore } from '../adapters/store/plan-store.ts';
import type { AlertIntake } from '../app/alert-intake.ts';
import type { ApprovalService } from '../app/approvals.ts';
import type { ChaosHandler, ChatServiceInternals } from '../app/chat/service.ts';
import type { ChatPort } from '../app/chat-port.ts';
import type { ClusterRegistry } from '../app/clusters.ts';
import type { Watcher } from '../app/watch/watcher.ts';
import type { AuditLog } from '../core/plan-record.ts';
import type { Clock, ClusterDefinition, PodApi } from '../core/ports.ts';
import type { Logger } from '../logger.ts';

/** all: bot + worker; bot: chat only; worker: worker only (chat may be a no-op port). */
export type AppRole = 'all' | 'bot' | 'worker';

/** Test and sandbox knobs of the composition; production leaves them unset. */
export interface ComposeExtra {
  /** Target clusters; default: CLUSTERS_FILE, else the single cluster of REDIS_CLUSTER_NODES. */
  clusters?: ClusterDefinition[];
  /** Sandbox: `/redis chaos …`. */
  chaos?: ChaosHandler;
  clock?: Clock;
  /** Key / channel prefix in the control Redis (default `medic`; tests use a random one). */
  prefix?: string;
  /** A PodApi to use instead of one built from KUBECONFIG (tests: the Kubernetes stand-in). */
  podApi?: PodApi;
  /** Executor waits (tests shorten them). */
  executor?: { waitTimeoutMs?: number; pollMs?: number };
  /** Worker tuning (tests shorten lock / stall intervals; the worker test harness holds it at a step). */
  worker?: Pick<
    PlanWorkerOptions,
    | 'lockDurationMs'
    | 'stalledIntervalMs'
    | 'maxStalledCount'
    | 'clusterLockTtlMs'
    | 'waitPollMs'
    | 'concurrency'
    | 'afterStepPersisted'
  >;
  /** How often proposed plans past their expiry are marked expired (default 5000 ms; 0: never). */
  expiryIntervalMs?: number;
  /** Where the watcher posts when WATCH_CHANNEL is unset (the console: its own channel). */
  watchChannel?: string;
  /** How often the worker re-queues approved plans that have no job (default 15 s; 0: only at start). */
  requeueIntervalMs?: number;
  /** After how long an approved plan no worker started gets a note in its thread (default 30 s). */
  pickupWarnMs?: number;
}

export interface ComposeOptions {
  chat: ChatPort;
  logger: Logger;
  role: AppRole;
  /**
   * Start even when the control Redis does not answer (Kubernetes roles): connect when it returns. A control
   * Redis that refuses our password or is not a Redis still stops the start: waiting cannot heal those.
   */
  startWithoutControl?: boolean;
  extra?: ComposeExtra;
}

export interface ComposedApp {
  chatService: ChatServiceInternals;
  clusters: ClusterRegistry;
  store: ControlPlanStore;
  audit: AuditLog;
  approvals: ApprovalService;
  queue: PlanQueue;
  bus: RedisEventBus;
  /** The control Redis connection (store, audit, queue, bus). */
  control: Redis;
  /** Present for role all | worker. */
  worker?: PlanWorker;
  /** Present when WATCH_CHANNEL (or extra.watchChannel) is set and WATCH_INTERVAL > 0 (role all | bot); already started. */
  watcher?: Watcher;
  /** Alertmanager in (issue 19): present when ALERTMANAGER_TOKEN is set (role all | bot). */
  alerts?: AlertIntake;
  /** Pings the control Redis (for /healthz). */
  healthy(): Promise<boolean>;
  /** Graceful: stops the chat service, lets the worker finish or hand back its job, closes every connection. */
  close(): Promise<void>;
}
