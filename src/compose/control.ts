/** The control Redis connections (patient, fail-fast for the chat, the worker's) and the records kept on them. */
import { Redis } from 'ioredis';
import { createEventBus, type RedisEventBus } from '../adapters/queue/event-bus.ts';
import { createPlanQueue, type PlanQueue, planQueuePrefix } from '../adapters/queue/plan-queue.ts';
import { createAuditLog } from '../adapters/store/audit.ts';
import { type ControlPlanStore, createPlanStore } from '../adapters/store/plan-store.ts';
import type { AuditLog } from '../core/plan-record.ts';
import { redactUrl } from '../logger.ts';
import type { PartsContext } from './context.ts';

/** Plans and the audit stream, on one connection. */
export interface Records {
  store: ControlPlanStore;
  audit: AuditLog;
}

export interface Control {
  /** Waits for the control Redis forever (BullMQ needs that): the queue, the bus and the worker-side records. */
  control: Redis;
  records: Records;
  bus: RedisEventBus;
  queue: PlanQueue;
}

/** The store and audit log on `conn`. */
export function recordsOn(conn: Redis, ctx: PartsContext): Records {
  const { prefix, clock, config } = ctx;
  return {
    store: createPlanStore(conn, { prefix }),
    audit: createAuditLog(conn, { prefix, maxAgeMs: config.AUDIT_MAX_AGE_DAYS * 24 * 3600_000, clock }),
  };
}

/** The patient connection and what lives on it. Connections are opened lazily by ioredis. */
export function openControl(ctx: PartsContext): Control {
  const { config, log, closers, prefix } = ctx;
  // BullMQ needs maxRetriesPerRequest: null on every connection it uses; the store and audit are fine with it.
  const control = new Redis(config.CONTROL_REDIS_URL, { maxRetriesPerRequest: null });
  control.on('error', (err) =>
    log.warn({ err: err.message, url: redactUrl(config.CONTROL_REDIS_URL) }, 'control Redis'),
  );
  closers.add(() => control.quit().catch(() => control.disconnect()));
  const records = recordsOn(control, ctx);
  const bus = createEventBus(control, {
    prefix,
    onError: (err) => log.warn({ err: (err as Error)?.message }, 'event bus'),
  });
  closers.add(() => bus.close());
  const queue = createPlanQueue({ connection: control, prefix: planQueuePrefix(prefix) });
  closers.add(() => queue.close());
  return { control, records, bus, queue };
}

/**
 * What people type must never wait for the control Redis: the chat reads and writes plans, approvals and
 * the audit through its own connection that fails fast (no offline queue, bounded commands), so a command
 * sent while the control Redis is down is answered at once, and never replayed minutes later.
 */
export async function openChatControl(ctx: PartsContext, control: Redis): Promise<Redis> {
  const chatControl = control.duplicate({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    // Back within a second of the control Redis: this connection is what /healthz and the chat need.
    retryStrategy: (times: number) => Math.min(times * 50, 1000),
  });
  chatControl.on('error', () => undefined); // already logged by the main connection
  ctx.closers.add(() => chatControl.quit().catch(() => chatControl.disconnect()));
  await Promise.race([
    new Promise((resolve) => chatControl.once('ready', resolve)),
    new Promise((resolve) => setTimeout(resolve, 2000).unref()),
  ]);
  return chatControl;
}

/** The worker's own connection (BullMQ blocks on it). */
export function openWorkerConnection(ctx: PartsContext): Redis {
  const conn = new Redis(ctx.config.CONTROL_REDIS_URL, { maxRetriesPerRequest: null });
  conn.on('error', (err) => ctx.log.warn({ err: err.message }, 'worker control Redis'));
  ctx.closers.add(() => conn.quit().catch(() => conn.disconnect()));
  return conn;
}

/** Both connections answer PING within a second: the chat can record an approval, not only the queue. */
export async function controlHealthy(control: Redis, chatControl: Redis): Promise<boolean> {
  try {
    const pongs = await Promise.race([
      Promise.all([control.ping(), chatControl.ping()]),
      new Promise<string[]>((resolve) => setTimeout(() => resolve(['timeout']), 1000).unref()),
    ]);
    return pongs.length === 2 && pongs.every((p) => p === 'PONG');
  } catch {
    return false;
  }
}
