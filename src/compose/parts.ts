/** Each part of the app, built once from the config: security, clusters, approvals, chat, worker, watcher, alerts. */

import type { Redis } from 'ioredis';
import type { RedisEventBus } from '../adapters/queue/event-bus.ts';
import { type PlanQueue, planQueuePrefix } from '../adapters/queue/plan-queue.ts';
import { type PlanWorker, startPlanWorker } from '../adapters/queue/plan-worker.ts';
import { createNodeCommander } from '../adapters/redis/node-commander.ts';
import { createTopologySource } from '../adapters/redis/scanner.ts';
import { createAlertGroupStore } from '../adapters/store/alert-groups.ts';
import { createWatchStateStore } from '../adapters/store/watch-state.ts';
import { type AlertIntake, createAlertIntake } from '../app/alert-intake.ts';
import { type ApprovalService, createApprovalService } from '../app/approvals.ts';
import { isUserGroupId } from '../app/approver-set.ts';
import { type ChatServiceInternals, createChatService } from '../app/chat/service.ts';
import type { ChatPort } from '../app/chat-port.ts';
import { type ClusterRegistry, createClusterRegistry } from '../app/clusters.ts';
import { assertAlertChannels } from '../app/incident-channel.ts';
import { createSecurityKit, type SecurityKit } from '../app/security.ts';
import { createWatcher, type Watcher } from '../app/watch/watcher.ts';
import { clusterDefinitionsFromConfig } from '../clusters-file.ts';
import type { ClusterDefinition, PodApi } from '../core/ports.ts';
import type { PartsContext } from './context.ts';
import type { Records } from './control.ts';
import type { planUpdateClaims } from './plan-claims.ts';

/** The approval sealer, the approver set and the worker's run-time check. */
export async function buildSecurity(ctx: PartsContext): Promise<SecurityKit> {
  const { config, logger, clock } = ctx;
  // Approvers given as Slack user groups are resolved through the Web API (loaded only when needed).
  const listMembers =
    config.SLACK_BOT_TOKEN && config.APPROVERS.some(isUserGroupId)
      ? (await import('../adapters/slack/usergroups.ts')).createGroupMemberLister({
          token: config.SLACK_BOT_TOKEN,
          slackApiUrl: config.SLACK_API_URL,
          logger,
        })
      : undefined;
  return createSecurityKit(config, { logger, clock, ...(listMembers ? { listMembers } : {}) });
}

/** The target clusters: their definitions and, per cluster, its commander, pod API and topology source. */
export async function buildClusters(
  ctx: PartsContext,
  opts: { checkAlertChannels: boolean },
): Promise<{ defs: ClusterDefinition[]; clusters: ClusterRegistry }> {
  const { config, extra, clock } = ctx;
  const defs = extra.clusters ?? clusterDefinitionsFromConfig(config);
  if (config.ALERTMANAGER_TOKEN && opts.checkAlertChannels)
    assertAlertChannels(defs, config.WATCH_CHANNEL ?? extra.watchChannel);
  let podApi: PodApi | undefined = extra.podApi;
  if (!podApi && defs.some((d) => d.k8s)) {
    // client-node costs ~80 MiB and seconds to load: only when a cluster lives in Kubernetes.
    const { createPodApi, loadKubeConfig } = await import('../adapters/k8s/index.ts');
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
  ctx.closers.add(() => clusters.close());
  return { defs, clusters };
}

/** The approval guard on the chat's records (approve, reject, cancel, expire). */
export function buildApprovals(
  ctx: PartsContext,
  deps: { security: SecurityKit; records: Records; queue: PlanQueue; bus: RedisEventBus },
): ApprovalService {
  const { config, clock, log } = ctx;
  return createApprovalService({
    sealer: deps.security.sealer,
    approverSet: deps.security.approvers,
    store: deps.records.store,
    queue: deps.queue,
    policy: { approvers: config.APPROVERS, allowSelfApproval: config.ALLOW_SELF_APPROVAL },
    audit: deps.records.audit,
    bus: deps.bus,
    clock,
    onError: (err, context) =>
      log.warn({ err: (err as Error)?.message, context }, 'approval side effect failed'),
  });
}

/** The transport-agnostic chat on the fail-fast records; it stops (and hands back its claims) at close. */
export function buildChatService(
  ctx: PartsContext,
  deps: {
    chat: ChatPort;
    clusters: ClusterRegistry;
    records: Records;
    approvals: ApprovalService;
    chatControl: Redis;
    bus: RedisEventBus;
    claims: ReturnType<typeof planUpdateClaims>;
    postChannels: string[];
  },
): ChatServiceInternals {
  const { config, extra, logger, clock } = ctx;
  const chatService = createChatService({
    chat: deps.chat,
    clusters: deps.clusters,
    store: deps.records.store,
    audit: deps.records.audit,
    approvals: deps.approvals,
    controlHealthy: () =>
      deps.chatControl.ping().then(
        (pong) => pong === 'PONG',
        () => false,
      ),
    bus: deps.bus,
    logger,
    clock,
    settings: {
      allowedChannels: config.ALLOWED_CHANNELS,
      postChannels: deps.postChannels,
      scanTimeoutMs: config.SCAN_TIMEOUT_MS,
      planTtlMs: config.PLAN_TTL_MS,
      ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
      ...(extra.pickupWarnMs !== undefined ? { pickupWarnMs: extra.pickupWarnMs } : {}),
    },
    ...(extra.chaos ? { chaos: extra.chaos } : {}),
    claimPlan: (planId) => deps.claims.claim(planId),
  });
  ctx.closers.add(() => deps.claims.release());
  ctx.closers.add(() => chatService.stop());
  return chatService;
}

/** The BullMQ worker on its own connection, and the sweep that re-queues approved plans left without a job. */
export function startWorker(
  ctx: PartsContext,
  deps: {
    connection: Redis;
    security: SecurityKit;
    clusters: ClusterRegistry;
    records: Records;
    bus: RedisEventBus;
    queue: PlanQueue;
  },
): PlanWorker {
  const { extra, logger, clock, log, prefix, closers } = ctx;
  const { store, audit } = deps.records;
  const worker = startPlanWorker({
    connection: deps.connection,
    prefix: planQueuePrefix(prefix),
    store,
    bus: deps.bus,
    audit,
    logger,
    clock,
    checkBeforeRun: deps.security.checkBeforeRun,
    executorDepsFor: (cluster) => ({
      ...deps.clusters.executorDeps(cluster, { clock }),
      ...(extra.executor ?? {}),
    }),
    ...(extra.worker ?? {}),
  });
  closers.add(() => worker.close());
  // An approval whose enqueue failed (a process died in between, the control Redis blinked) leaves an
  // approved plan with no job: put such plans back, at start and then every so often (a no-op otherwise;
  // the job id is the plan id, so a plan is never queued twice).
  const requeue = () =>
    deps.queue.requeueOrphans(store).then(
      (ids) => ids.length && log.warn({ plans: ids }, 'approved plans had no job: queued them'),
      (err) => log.warn({ err: (err as Error).message }, 'could not requeue approved plans'),
    );
  void requeue();
  closers.every(extra.requeueIntervalMs ?? 15_000, requeue);
  return worker;
}

/** Marks proposed plans past their expiry as expired; skips rounds while the chat's connection is down. */
export function startExpirySweep(ctx: PartsContext, approvals: ApprovalService, chatControl: Redis): void {
  ctx.closers.every(ctx.extra.expiryIntervalMs ?? 5000, async () => {
    if (chatControl.status !== 'ready') return;
    await approvals
      .expireDue()
      .catch((err) => ctx.log.warn({ err: (err as Error).message }, 'expiry sweep failed'));
  });
}

/** The watcher (one leader among the bots), already started. */
export function startWatcher(
  ctx: PartsContext,
  deps: {
    control: Redis;
    clusters: ClusterRegistry;
    chatService: ChatServiceInternals;
    channel: string;
    owner: string;
  },
): Watcher {
  const { config, clock, logger, prefix } = ctx;
  const watcher = createWatcher({
    store: createWatchStateStore(deps.control, prefix),
    clusters: deps.clusters.list().map((e) => ({
      name: e.name,
      source: e.source,
      ...(e.def.channels?.[0] ? { channel: e.def.channels[0] } : {}),
    })),
    poster: deps.chatService.watchPoster,
    channel: deps.channel,
    intervalMs: config.WATCH_INTERVAL * 1000,
    graceMs: config.WATCH_GRACE * 1000,
    clock,
    logger,
    owner: deps.owner,
    scanTimeoutMs: config.SCAN_TIMEOUT_MS,
  });
  watcher.start();
  ctx.closers.add(() => watcher.stop());
  return watcher;
}

/** Alertmanager in (issue 19). */
export function buildAlerts(
  ctx: PartsContext,
  deps: {
    control: Redis;
    clusters: ClusterRegistry;
    chatService: ChatServiceInternals;
    chat: ChatPort;
    records: Records;
    channel: string | undefined;
  },
): AlertIntake {
  const { config, clock, logger, prefix } = ctx;
  return createAlertIntake({
    watch: createWatchStateStore(deps.control, prefix),
    groups: createAlertGroupStore(deps.control, prefix),
    clusters: deps.clusters,
    poster: deps.chatService.watchPoster,
    chat: deps.chat,
    store: deps.records.store,
    ...(deps.channel ? { channel: deps.channel } : {}),
    clusterLabel: config.ALERT_CLUSTER_LABEL,
    scanTimeoutMs: config.SCAN_TIMEOUT_MS,
    clock,
    logger,
  });
}
