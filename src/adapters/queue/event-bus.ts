import { Redis } from 'ioredis';
import type { EventBus, PlanEvent } from '../../core/plan-record.ts';
import type { Reporter } from '../../core/ports.ts';
import type { ExecEvent } from '../../core/types.ts';

export interface EventBusOptions {
  /** Channel / key prefix (default `medic`): channels `<prefix>:exec-events`, `<prefix>:plan-events`. */
  prefix?: string;
  /** Also keep the last N events of each kind in a capped stream (`XADD MAXLEN ~`), for late readers. 0: off. */
  streamMaxLen?: number;
  /** Called when a handler throws or a message cannot be parsed; default: ignore. */
  onError?: (err: unknown) => void;
}

export interface RedisEventBus extends EventBus {
  /** The last `n` exec events from the capped stream (oldest first); empty when the stream is off. */
  recent(n: number): Promise<ExecEvent[]>;
  recentPlan(n: number): Promise<PlanEvent[]>;
  /** A Reporter that publishes on this bus. */
  reporter(): Reporter;
  channels: { exec: string; plan: string };
}

/**
 * Exec and plan events over Redis pub/sub, so the bot process sees what a worker process does.
 * Takes a URL (it then owns both connections) or a connection to duplicate (the caller keeps owning it).
 */
export function createEventBus(conn: string | Redis, opts: EventBusOptions = {}): RedisEventBus {
  const prefix = opts.prefix ?? 'medic';
  const channels = { exec: `${prefix}:exec-events`, plan: `${prefix}:plan-events` };
  const streamMaxLen = opts.streamMaxLen ?? 1000;
  const ownsPub = typeof conn === 'string';
  const pub = typeof conn === 'string' ? new Redis(conn, { lazyConnect: false }) : conn;
  let sub: Redis | null = null;
  const handlers = { exec: new Set<(e: ExecEvent) => void>(), plan: new Set<(e: PlanEvent) => void>() };
  const onError = opts.onError ?? (() => {});

  async function subscriber(): Promise<Redis> {
    if (sub) return sub;
    const s = pub.duplicate();
    sub = s;
    s.on('error', onError);
    s.on('message', (channel: string, message: string) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch (err) {
        onError(err);
        return;
      }
      const set =
        channel === channels.exec ? handlers.exec : channel === channels.plan ? handlers.plan : null;
      if (!set) return;
      for (const h of set) {
        try {
          (h as (e: unknown) => void)(parsed);
        } catch (err) {
          onError(err);
        }
      }
    });
    // While the control Redis is down the SUBSCRIBE waits in ioredis's queue and goes out on reconnect: the
    // caller (a bot starting without its control Redis) must not wait for it.
    const subscribed = s.subscribe(channels.exec, channels.plan);
    subscribed.catch(onError);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([subscribed, new Promise((r) => (timer = setTimeout(r, 2000)))]).catch(
      () => undefined,
    );
    clearTimeout(timer);
    return s;
  }

  async function send(channel: string, event: unknown): Promise<void> {
    const json = JSON.stringify(event);
    if (streamMaxLen > 0) {
      await pub
        .multi()
        .publish(channel, json)
        .xadd(`${channel}:log`, 'MAXLEN', '~', streamMaxLen, '*', 'e', json)
        .exec();
    } else {
      await pub.publish(channel, json);
    }
  }

  async function readLog<T>(channel: string, n: number): Promise<T[]> {
    const rows = (await pub.xrevrange(`${channel}:log`, '+', '-', 'COUNT', n)) as [string, string[]][];
    return rows.map(([, kv]) => JSON.parse(kv[1] as string) as T).reverse();
  }

  const bus: RedisEventBus = {
    channels,
    publish: (event) => send(channels.exec, event),
    publishPlan: (event) => send(channels.plan, event),
    async subscribe(handler) {
      handlers.exec.add(handler);
      await subscriber();
      return async () => {
        handlers.exec.delete(handler);
      };
    },
    async subscribePlan(handler) {
      handlers.plan.add(handler);
      await subscriber();
      return async () => {
        handlers.plan.delete(handler);
      };
    },
    recent: (n) => readLog<ExecEvent>(channels.exec, n),
    recentPlan: (n) => readLog<PlanEvent>(channels.plan, n),
    reporter: () => ({ emit: (e) => bus.publish(e) }),
    async close() {
      handlers.exec.clear();
      handlers.plan.clear();
      if (sub) {
        const s = sub;
        sub = null;
        await s.quit().catch(() => s.disconnect());
      }
      if (ownsPub) await pub.quit().catch(() => pub.disconnect());
    },
  };
  return bus;
}
