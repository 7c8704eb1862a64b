/** `composeApp`: the parts every role shares, plus the ones its role runs (ROLE_PARTS). */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { incidentChannels } from '../app/incident-channel.ts';
import type { Config } from '../config.ts';
import { CodedError, ErrorCodes } from '../core/errors.ts';
import { systemClock } from '../core/ports.ts';
import { createClosers } from './closers.ts';
import type { PartsContext } from './context.ts';
import { controlHealthy, openChatControl, openControl, openWorkerConnection, recordsOn } from './control.ts';
import {
  buildAlerts,
  buildApprovals,
  buildChatService,
  buildClusters,
  buildSecurity,
  startExpirySweep,
  startWatcher,
  startWorker,
} from './parts.ts';
import { planUpdateClaims } from './plan-claims.ts';
import { probeControlRedis } from './probe-control.ts';
import type { AppRole, ComposedApp, ComposeOptions } from './types.ts';

/**
 * What each role runs on top of the shared parts (control Redis, records, security, clusters, approvals,
 * chat service): the worker, and the chat side (expiry sweep, watcher, Alertmanager intake).
 */
export const ROLE_PARTS: Record<AppRole, { worker: boolean; chatSide: boolean }> = {
  all: { worker: true, chatSide: true },
  bot: { worker: false, chatSide: true },
  worker: { worker: true, chatSide: false },
};

/** Builds everything once. Connections are opened lazily by ioredis; nothing here blocks on a target cluster. */
export async function composeApp(config: Config, opts: ComposeOptions): Promise<ComposedApp> {
  const { logger } = opts;
  await probeControlRedis(config.CONTROL_REDIS_URL).catch((err: unknown) => {
    if (
      !(
        opts.startWithoutControl &&
        err instanceof CodedError &&
        err.code === ErrorCodes.ControlRedisUnreachable
      )
    )
      throw err;
    logger.warn({ err: err.message }, 'starting without the control Redis: approvals wait until it answers');
  });
  const extra = opts.extra ?? {};
  const log = logger.child({ component: 'compose' });
  const ctx: PartsContext = {
    config,
    logger,
    log,
    clock: extra.clock ?? systemClock,
    prefix: extra.prefix ?? 'medic',
    extra,
    closers: createClosers(log),
  };
  try {
    return await composeParts(ctx, opts);
  } catch (err) {
    await ctx.closers.closeAll();
    throw err;
  }
}

async function composeParts(ctx: PartsContext, opts: ComposeOptions): Promise<ComposedApp> {
  const { config, extra } = ctx;
  const parts = ROLE_PARTS[opts.role];
  /** Names this process in leases (watcher, plan progress) held in the control Redis. */
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { control, records, bus, queue } = openControl(ctx);
  const security = await buildSecurity(ctx);
  const { defs, clusters } = await buildClusters(ctx, { checkAlertChannels: parts.chatSide });
  const chatControl = await openChatControl(ctx, control);
  const chatRecords = recordsOn(chatControl, ctx);
  const approvals = buildApprovals(ctx, { security, records: chatRecords, queue, bus });

  const watchChannel = config.WATCH_CHANNEL ?? extra.watchChannel;
  const watchOn = parts.chatSide && watchChannel !== undefined && config.WATCH_INTERVAL > 0;
  const alertsOn = parts.chatSide && config.ALERTMANAGER_TOKEN !== undefined;
  const chatService = buildChatService(ctx, {
    chat: opts.chat,
    clusters,
    records: chatRecords,
    approvals,
    chatControl,
    bus,
    claims: planUpdateClaims(control, ctx.prefix, instanceId),
    postChannels: watchOn || alertsOn ? incidentChannels(defs, watchChannel) : [],
  });
  const worker = parts.worker
    ? startWorker(ctx, { connection: openWorkerConnection(ctx), security, clusters, records, bus, queue })
    : undefined;
  if (parts.chatSide) startExpirySweep(ctx, approvals, chatControl);
  const watcher =
    watchOn && watchChannel
      ? startWatcher(ctx, { control, clusters, chatService, channel: watchChannel, owner: instanceId })
      : undefined;
  const alerts = alertsOn
    ? buildAlerts(ctx, { control, clusters, chatService, chat: opts.chat, records, channel: watchChannel })
    : undefined;

  let closing: Promise<void> | undefined;
  return {
    chatService,
    clusters,
    store: records.store,
    audit: records.audit,
    approvals,
    queue,
    bus,
    control,
    ...(worker ? { worker } : {}),
    ...(watcher ? { watcher } : {}),
    ...(alerts ? { alerts } : {}),
    healthy: () => controlHealthy(control, chatControl),
    close() {
      closing ??= ctx.closers.closeAll();
      return closing;
    },
  };
}
