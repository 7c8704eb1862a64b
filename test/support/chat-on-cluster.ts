/**
 * The whole app (chat service, control Redis, BullMQ queue and worker) composed on a local cluster around an
 * in-memory chat, and a button press on a posted message, for the chat integration tests.
 */
import { randomBytes } from 'node:crypto';
import type { ComposedApp } from '../../src/compose.ts';
import { composeWithChat, type memoryChat, responder } from './memory-chat.ts';
import { type LocalCluster, type LocalRedis, startLocalCluster, startRedis } from './redis-cluster.ts';

/** Who may ask and approve where, and the control-Redis key prefix word; `seeds` defaults to the cluster's addresses. */
export interface ChatOnClusterOptions {
  channel: string;
  approvers: string[];
  prefix: string;
  seeds?: string[];
}

/** Composes and starts the app for cluster `it` with control Redis `control`, posting into `chat`. */
export async function composeOnCluster(
  control: LocalRedis,
  cluster: LocalCluster,
  chat: ReturnType<typeof memoryChat>,
  o: ChatOnClusterOptions,
): Promise<ComposedApp> {
  const app = await composeWithChat(
    {
      CONTROL_REDIS_URL: control.url,
      REDIS_CLUSTER_NODES: cluster.addrs().join(','),
      CLUSTER_NAME: 'it',
      APPROVERS: o.approvers.join(','),
      ALLOWED_CHANNELS: o.channel,
      SCAN_TIMEOUT_MS: '500',
      // One person drives a whole incident here, more than 10 scans in a minute once scans got faster; the
      // per-person limit has its own test (slack-security).
      RATE_LIMIT_PER_MINUTE: '1000',
      LOG_LEVEL: 'silent',
    },
    chat.port,
    {
      prefix: `${o.prefix}-${randomBytes(4).toString('hex')}`,
      clusters: [{ name: 'it', seeds: o.seeds ?? cluster.addrs(), auth: {} }],
      executor: { waitTimeoutMs: 30_000, pollMs: 100 },
      expiryIntervalMs: 500,
    },
  );
  await app.chatService.start();
  return app;
}

/** `user` presses a button (Approve unless `actionId` says otherwise) on message `ts`; returns what they were told. */
export async function press(
  app: ComposedApp,
  p: { user: string; channel: string; ts: string; value: string; actionId?: string },
) {
  const r = responder();
  await app.chatService.handleAction({
    user: p.user,
    channel: p.channel,
    messageTs: p.ts,
    actionId: p.actionId ?? 'plan_approve',
    value: p.value,
    respond: r.respond,
  });
  return r;
}

/** A control Redis, a local cluster and the app composed on both. */
export interface AppOnCluster {
  control: LocalRedis;
  cluster: LocalCluster;
  app: ComposedApp;
}

/** Starts a control Redis and a three-master cluster with one replica each, then the app on them. */
export async function startAppOnCluster(
  chat: ReturnType<typeof memoryChat>,
  o: ChatOnClusterOptions,
): Promise<AppOnCluster> {
  const started: Partial<AppOnCluster> = {};
  try {
    started.control = await startRedis();
    started.cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    started.app = await composeOnCluster(started.control, started.cluster, chat, o);
    return started as AppOnCluster;
  } catch (e) {
    // Nothing the test could stop is left running when a start fails half-way.
    await stopAppOnCluster(started);
    throw e;
  }
}

/** Closes the app, then stops the cluster and the control Redis (whichever of them started). */
export async function stopAppOnCluster(s: Partial<AppOnCluster>): Promise<void> {
  await s.app?.close();
  await s.cluster?.stop();
  await s.control?.stop();
}
