/**
 * The composition root: every client is built here, once, from the validated config, and handed down.
 * Slack (src/main.ts), the console and the sandbox all start the app through `composeApp`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { createEventBus, type RedisEventBus } from './adapters/queue/event-bus.ts';
import { createPlanQueue, type PlanQueue, planQueuePrefix } from './adapters/queue/plan-queue.ts';
import { type PlanWorker, type PlanWorkerOptions, startPlanWorker } from './adapters/queue/plan-worker.ts';
import { createNodeCommander } from './adapters/redis/node-commander.ts';
import { createTopologySource } from './adapters/redis/scanner.ts';
import { createAuditLog } from './adapters/store/audit.ts';
import { type ControlPlanStore, createPlanStore } from './adapters/store/plan-store.ts';
import { type AlertIntake, createAlertIntake } from './app/alert-intake.ts';
import { type ApprovalService, createApprovalService } from './app/approvals.ts';
import { isUserGroupId } from './app/approver-set.ts';
import { type ChaosHandler, type ChatServiceInternals, createChatService } from './app/chat/service.ts';
import type { ChatPort } from './app/chat-port.ts';
import { type ClusterRegistry, createClusterRegistry } from './app/clusters.ts';
import { every } from './app/every.ts';
import { assertAlertChannels, incidentChannels } from './app/incident-channel.ts';
import { createSecurityKit } from './app/security.ts';
import { createWatcher, type Watcher } from './app/watcher.ts';
import { clusterDefinitionsFromConfig } from './clusters-file.ts';
import type { Config } from './config.ts';
import { CodedError } from './core/errors.ts';
import type { AuditLog } from './core/plan-record.ts';
import { type Clock, type ClusterDefinition, type PodApi, systemClock } from './core/ports.ts';
import { type Logger, redactUrl } from './logger.ts';

export interface ComposeOptions {
  chat: ChatPort;
  logger: Logger;
  /** all: bot + worker; bot: chat only; worker: worker only (chat may be a no-op port). */
  role: 'all' | 'bot' | 'worker';
  /**
   * Start even when the control Redis does not answer (Kubernetes roles): connect when it returns. A control
   * Redis that refuses our password or is not a Redis still stops the start: waiting cannot heal those.
   */
  startWithoutControl?: boolean;
  extra?: {
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
    /** Worker tuning (tests shorten lock / stall intervals). */
    worker?: Pick<
      PlanWorkerOptions,
      | 'lockDurationMs'
      | 'stalledIntervalMs'
      | 'maxStalledCount'
      | 'clusterLockTtlMs'
      | 'waitPollMs'
      | 'concurrency'
    >;
    /** How often proposed plans past their expiry are marked expired (default 5000 ms; 0: never). */
    expiryIntervalMs?: number;
    /** Where the watcher posts when WATCH_CHANNEL is unset (the console: its own channel). */
    watchChannel?: string;
    /** How often the worker re-queues approved plans that have no job (default 15 s; 0: only at start). */
    requeueIntervalMs?: number;
    /** After how long an approved plan no worker started gets a note in its thread (default 30 s). */
    pickupWarnMs?: number;
  };
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

/** Builds everything once. Connections are opened lazily by ioredis; nothing here blocks on a target cluster. */
const CLAIM = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One bot process renders a plan's progress; another takes over if it stays silent for 2 minutes, or at once
 * when it stops cleanly (a rolling restart): `release` hands back what this process holds.
 */
function planUpdateClaims(control: Redis, prefix: string, owner: string) {
  const held = new Set<string>();
  const key = (planId: string) => `${prefix}:chat:owner:${planId}`;
  return {
    async claim(planId: string): Promise<boolean> {
      const mine = (await control.eval(CLAIM, 1, key(planId), owner, '120000')) === 1;
      if (mine) held.add(planId);
      return mine;
    },
    async release(): Promise<void> {
      const ids = [...held];
      held.clear();
      await Promise.all(ids.map((id) => control.eval(RELEASE, 1, key(id), owner).catch(() => 0)));
    },
  };
}

/**
 * One fail-fast PING before anything is built: the connections below wait for the control Redis forever (BullMQ
 * needs that), so a wrong CONTROL_REDIS_URL would otherwise start a bot that hangs on its first command.
 * A Redis still loading its AOF answers LOADING: that is a Redis that will be there, so it passes.
 */
export async function probeControlRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // With no retries, connect() only says "Connection is closed."; the cause arrives as an 'error' event.
  let cause: Error | undefined;
  probe.on('error', (err: Error) => {
    cause = err;
  });
  const where = `the control Redis at ${redactUrl(url)}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    // One deadline for connect + PING together (ioredis's own timeouts add up on a frozen server).
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
  } catch (err) {
    const message = (cause ?? (err as Error)).message ?? String(err);
    if (/^LOADING\b/.test(message)) return;
    if (/^NOAUTH\b/.test(message))
      throw new CodedError(
        'CONTROL_REDIS_REFUSED',
        `${where} asks for a password: put it in CONTROL_REDIS_URL (redis://:PASSWORD@host:port, or redis://USER:PASSWORD@… for an ACL user)`,
      );
    if (/^WRONGPASS\b/.test(message))
      throw new CodedError(
        'CONTROL_REDIS_REFUSED',
        `${where} refused the password (or user) in CONTROL_REDIS_URL: check them`,
      );
    const why = /ECONNREFUSED/.test(message)
      ? 'connection refused'
      : /ETIMEDOUT|timed? ?out/i.test(message)
        ? `no answer within ${timeoutMs} ms`
        : /ENOTFOUND|EAI_AGAIN/.test(message)
          ? 'unknown host'
          : message;
    if (/Unknown RESP type|Protocol error/i.test(message))
      throw new CodedError(
        'CONTROL_REDIS_NOT_REDIS',
        `${where} does not answer (something answers there, but it does not speak Redis): point CONTROL_REDIS_URL at a Redis`,
      );
    throw new CodedError(
      'CONTROL_REDIS_UNREACHABLE',
      `${where} does not answer (${why}). It keeps the plans, approvals and the queue: start one (for example \`redis-server --appendonly yes\`) or point CONTROL_REDIS_URL at yours`,
    );
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

export async function composeApp(config: Config, opts: ComposeOptions): Promise<ComposedApp> {
  const { logger, role } = opts;
  await probeControlRedis(config.CONTROL_REDIS_URL).catch((err: unknown) => {
    if (!(opts.startWithoutControl && err instanceof CodedError && err.code === 'CONTROL_REDIS_UNREACHABLE'))
      throw err;
    logger.warn({ err: err.message }, 'starting without the control Redis: approvals wait until it answers');
  });
  const extra = opts.extra ?? {};
  const clock = extra.clock ?? systemClock;
  const prefix = extra.prefix ?? 'medic';
  const log = logger.child({ component: 'compose' });
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while closing');
      }
    }
  };

  /** Runs `sweep` every `ms` (0: never), one round at a time, until the app closes. */
  const sweepEvery = (ms: number, sweep: () => Promise<unknown>) => {
    const stop = every(ms, sweep);
    closers.push(async () => stop());
  };

  try {
    // BullMQ needs maxRetriesPerRequest: null on every connection it uses; the store and audit are fine with it.
    /** Names this process in leases (watcher, plan progress) held in the control Redis. */
    const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const control = new Redis(config.CONTROL_REDIS_URL, { maxRetriesPerRequest: null });
    control.on('error', (err) =>
      log.warn({ err: err.message, url: redactUrl(config.CONTROL_REDIS_URL) }, 'control Redis'),
    );
    closers.push(() => control.quit().catch(() => control.disconnect()));

    const store = createPlanStore(control, { prefix });
    const audit = createAuditLog(control, {
      prefix,
      maxAgeMs: config.AUDIT_MAX_AGE_DAYS * 24 * 3600_000,
      clock,
    });
    const bus = createEventBus(control, {
      prefix,
      onError: (err) => log.warn({ err: (err as Error)?.message }, 'event bus'),
    });
    closers.push(() => bus.close());
    const queue = createPlanQueue({ connection: control, prefix: planQueuePrefix(prefix) });
    closers.push(() => queue.close());
    // Approvers given as Slack user groups are resolved through the Web API (loaded only when needed).
    const listMembers =
      config.SLACK_BOT_TOKEN && config.APPROVERS.some(isUserGroupId)
        ? (await import('./adapters/slack/usergroups.ts')).createGroupMemberLister({
            token: config.SLACK_BOT_TOKEN,
            slackApiUrl: config.SLACK_API_URL,
            logger,
          })
        : undefined;
    const security = await createSecurityKit(config, {
      logger,
      clock,
      ...(listMembers ? { listMembers } : {}),
    });
    const approvals = createApprovalService({
      sealer: security.sealer,
      approverSet: security.approvers,
      store,
      queue,
      policy: { approvers: config.APPROVERS, allowSelfApproval: config.ALLOW_SELF_APPROVAL },
      audit,
      bus,
      clock,
      onError: (err, context) =>
        log.warn({ err: (err as Error)?.message, context }, 'approval side effect failed'),
    });

    const defs = extra.clusters ?? clusterDefinitionsFromConfig(config);
    if (config.ALERTMANAGER_TOKEN && role !== 'worker')
      assertAlertChannels(defs, config.WATCH_CHANNEL ?? extra.watchChannel);
    let podApi: PodApi | undefined = extra.podApi;
    if (!podApi && defs.some((d) => d.k8s)) {
      // client-node costs ~80 MiB and seconds to load: only when a cluster lives in Kubernetes.
      const { createPodApi, loadKubeConfig } = await import('./adapters/k8s/index.ts');
      podApi = createPodApi(loadKubeConfig());
    }
    const clusters = createClusterRegistry(
      defs,
      {
        createCommander: (def) => createNodeCommander(def.auth, { timeoutMs: config.SCAN_TIMEOUT_MS }),
        createPods: () => podApi,
        createSource: (def, commander, pods) =>
          createTopologySource(def, {
            commander,
            timeoutMs: config.SCAN_TIMEOUT_MS,
            clock,
            ...(pods ? { podApi: pods } : {}),
          }),
      },
      { defaultCluster: config.CLUSTER_NAME },
    );
    closers.push(() => clusters.close());

    // What people type must never wait for the control Redis: the chat reads and writes plans, approvals and
    // the audit through its own connection that fails fast (no offline queue, bounded commands), so a command
    // sent while the control Redis is down is answered at once, and never replayed minutes later.
    const chatControl = control.duplicate({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 1000,
      // Back within a second of the control Redis: this connection is what /healthz and the chat need.
      retryStrategy: (times: number) => Math.min(times * 50, 1000),
    });
    chatControl.on('error', () => undefined); // already logged by the main connection
    closers.push(() => chatControl.quit().catch(() => chatControl.disconnect()));
    await Promise.race([
      new Promise((resolve) => chatControl.once('ready', resolve)),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    const chatStore = createPlanStore(chatControl, { prefix });
    const chatAudit = createAuditLog(chatControl, {
      prefix,
      maxAgeMs: config.AUDIT_MAX_AGE_DAYS * 24 * 3600_000,
      clock,
    });
    const chatApprovals = createApprovalService({
      sealer: security.sealer,
      approverSet: security.approvers,
      store: chatStore,
      queue,
      policy: { approvers: config.APPROVERS, allowSelfApproval: config.ALLOW_SELF_APPROVAL },
      audit: chatAudit,
      bus,
      clock,
      onError: (err, context) =>
        log.warn({ err: (err as Error)?.message, context }, 'approval side effect failed'),
    });

    const claims = planUpdateClaims(control, prefix, instanceId);
    const watchChannel = config.WATCH_CHANNEL ?? extra.watchChannel;
    const watchOn = role !== 'worker' && watchChannel !== undefined && config.WATCH_INTERVAL > 0;
    const alertsOn = role !== 'worker' && config.ALERTMANAGER_TOKEN !== undefined;
    const chatService = createChatService({
      chat: opts.chat,
      clusters,
      store: chatStore,
      audit: chatAudit,
      approvals: chatApprovals,
      controlHealthy: () =>
        chatControl.ping().then(
          (pong) => pong === 'PONG',
          () => false,
        ),
      bus,
      logger,
      clock,
      settings: {
        allowedChannels: config.ALLOWED_CHANNELS,
        postChannels: watchOn || alertsOn ? incidentChannels(defs, watchChannel) : [],
        scanTimeoutMs: config.SCAN_TIMEOUT_MS,
        planTtlMs: config.PLAN_TTL_MS,
        ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
        ...(extra.pickupWarnMs !== undefined ? { pickupWarnMs: extra.pickupWarnMs } : {}),
      },
      ...(extra.chaos ? { chaos: extra.chaos } : {}),
      claimPlan: (planId) => claims.claim(planId),
    });
    closers.push(() => claims.release());
    closers.push(() => chatService.stop());

    let worker: PlanWorker | undefined;
    if (role === 'all' || role === 'worker') {
      const workerConn = new Redis(config.CONTROL_REDIS_URL, { maxRetriesPerRequest: null });
      workerConn.on('error', (err) => log.warn({ err: err.message }, 'worker control Redis'));
      closers.push(() => workerConn.quit().catch(() => workerConn.disconnect()));
      const w = startPlanWorker({
        connection: workerConn,
        prefix: planQueuePrefix(prefix),
        store,
        bus,
        audit,
        logger,
        clock,
        checkBeforeRun: security.checkBeforeRun,
        executorDepsFor: (cluster) => ({
          ...clusters.executorDeps(cluster, { clock }),
          ...(extra.executor ?? {}),
        }),
        ...(extra.worker ?? {}),
      });
      worker = w;
      closers.push(() => w.close());
      // An approval whose enqueue failed (a process died in between, the control Redis blinked) leaves an
      // approved plan with no job: put such plans back, at start and then every so often (a no-op otherwise;
      // the job id is the plan id, so a plan is never queued twice).
      const requeue = () =>
        queue.requeueOrphans(store).then(
          (ids) => ids.length && log.warn({ plans: ids }, 'approved plans had no job: queued them'),
          (err) => log.warn({ err: (err as Error).message }, 'could not requeue approved plans'),
        );
      void requeue();
      sweepEvery(extra.requeueIntervalMs ?? 15_000, requeue);
    }

    if (role !== 'worker') {
      sweepEvery(extra.expiryIntervalMs ?? 5000, () =>
        approvals
          .expireDue()
          .catch((err) => log.warn({ err: (err as Error).message }, 'expiry sweep failed')),
      );
    }

    let watcher: Watcher | undefined;
    if (watchOn && watchChannel) {
      const w = createWatcher({
        redis: control,
        prefix,
        clusters: clusters.list().map((e) => ({
          name: e.name,
          source: e.source,
          ...(e.def.channels?.[0] ? { channel: e.def.channels[0] } : {}),
        })),
        poster: chatService.watchPoster,
        channel: watchChannel,
        intervalMs: config.WATCH_INTERVAL * 1000,
        graceMs: config.WATCH_GRACE * 1000,
        clock,
        logger,
        owner: instanceId,
        scanTimeoutMs: config.SCAN_TIMEOUT_MS,
      });
      w.start();
      watcher = w;
      closers.push(() => w.stop());
    }

    const alerts = alertsOn
      ? createAlertIntake({
          redis: control,
          prefix,
          clusters,
          poster: chatService.watchPoster,
          chat: opts.chat,
          store,
          ...(watchChannel ? { channel: watchChannel } : {}),
          clusterLabel: config.ALERT_CLUSTER_LABEL,
          scanTimeoutMs: config.SCAN_TIMEOUT_MS,
          clock,
          logger,
        })
      : undefined;

    let closing: Promise<void> | undefined;
    return {
      chatService,
      clusters,
      store,
      audit,
      approvals,
      queue,
      bus,
      control,
      ...(worker ? { worker } : {}),
      ...(watcher ? { watcher } : {}),
      ...(alerts ? { alerts } : {}),
      async healthy() {
        try {
          // Both connections: healthy means the chat can record an approval, not only that the queue could.
          const pongs = await Promise.race([
            Promise.all([control.ping(), chatControl.ping()]),
            new Promise<string[]>((resolve) => setTimeout(() => resolve(['timeout']), 1000).unref()),
          ]);
          return pongs.length === 2 && pongs.every((p) => p === 'PONG');
        } catch {
          return false;
        }
      },
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
