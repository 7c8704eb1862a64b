/**
 * The whole app (chat service, control Redis, BullMQ queue and worker) composed on a local cluster around an
 * in-memory chat, and a button press on a posted message, for the chat integration tests.
 */
import { randomBytes } from 'node:crypto';
import type { ComposedApp } from '../../src/compose.ts';
import { composeWithChat, type memoryChat, responder } from './memory-chat.ts';
import type { LocalCluster, LocalRedis } from './redis-cluster.ts';

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
