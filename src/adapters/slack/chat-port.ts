import { webApi } from '@slack/bolt';
import type { ChatMessage, ChatPort } from '../../app/chat-port.ts';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { type Clock, systemClock } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { toSlackLogger } from './bolt-logger.ts';

type WebClient = InstanceType<typeof webApi.WebClient>;

/** Error code of a Slack Web API call that failed after every retry (or could not be retried). */
export const SLACK_API_ERROR = ErrorCodes.SlackApiError;

/** A message Slack never accepted: logged, and handed to `onLost` (the audit trail) so it is never lost silently. */
export interface LostMessage {
  method: 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral';
  channel: string;
  threadTs?: string;
  ts?: string;
  user?: string;
  /** The notification text (what the message said), cut to 500 characters. */
  text: string;
  /** Slack's error code (`channel_not_found`, `http_503`, `ratelimited`, `request_error`…). */
  error: string;
  attempts: number;
}

export interface SlackChatPortOptions {
  client: WebClient;
  logger: Logger;
  /** Called once per message that could not be delivered (after retries). */
  onLost?: (lost: LostMessage) => void | Promise<void>;
  /** Attempts per call, 429s and 5xx included. Default 6. */
  maxAttempts?: number;
  /** First backoff after a 5xx / network error; doubles each time up to maxBackoffMs. Default 300 / 5000. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this is not waited for: the call fails. Default 120 s. */
  maxRetryAfterSec?: number;
  /** Minimum gap between two chat.postMessage in one channel (Slack allows ~1 per second). Default 1000. */
  postIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
  /** Awaited before each Web API call: the bot's ack gate, so answers yield to requests waiting for their ack. */
  beforeCall?: () => Promise<void>;
}

/**
 * A WebClient for the ChatPort: its own retries are off (the ChatPort retries, bounded, and keeps order),
 * rate-limited calls reject with Retry-After instead of pausing the whole client.
 */
export function createSlackWebClient(opts: {
  token: string;
  slackApiUrl: string;
  logger: Logger;
}): WebClient {
  return new webApi.WebClient(opts.token, {
    slackApiUrl: opts.slackApiUrl,
    logger: toSlackLogger(opts.logger, 'slack-web-api'),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
}

const RETRYABLE_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

type Verdict = { retry: false; error: string } | { retry: true; error: string; waitMs?: number };

/** What a failed Web API call means: wait for Retry-After, back off, or give up. Never reads the token. */
function classify(err: unknown): Verdict {
  const e = err as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    original?: { message?: string };
  };
  switch (e?.code) {
    case webApi.ErrorCode.RateLimitedError:
      return { retry: true, error: 'ratelimited', waitMs: Math.max(0, (e.retryAfter ?? 1) * 1000) };
    case webApi.ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      return status >= 500 || status === 408
        ? { retry: true, error: `http_${status}` }
        : { retry: false, error: `http_${status}` };
    }
    case webApi.ErrorCode.RequestError:
      return { retry: true, error: 'request_error' };
    case webApi.ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      return RETRYABLE_PLATFORM_ERRORS.has(code)
        ? { retry: true, error: code }
        : { retry: false, error: code };
    }
    default:
      return { retry: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const MAX_TEXT = 40_000;

/**
 * ChatPort over Slack's Web API. Messages to one channel (and so to each of its threads) are sent strictly in
 * the order they were asked for, one per `postIntervalMs`; 429s wait for Retry-After, 5xx and network errors
 * back off (bounded); a message that still fails is logged, handed to `onLost` and rejected with SLACK_API_ERROR.
 */
export class SlackChatPort implements ChatPort {
  /** Set after composition (the audit log is built after the port). */
  onLost?: (lost: LostMessage) => void | Promise<void>;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastPostAt = new Map<string, number>();
  private readonly pendingUpdates = new Map<string, { msg: ChatMessage; done: Promise<void> }>();
  /** Per channel: the not-yet-started update that is last in the queue, if the last thing queued is one. */
  private readonly tailUpdate = new Map<string, string>();
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly postIntervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: SlackChatPortOptions) {
    this.onLost = opts.onLost;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 6);
    this.backoffMs = opts.backoffMs ?? 300;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.maxRetryAfterMs = (opts.maxRetryAfterSec ?? 120) * 1000;
    this.postIntervalMs = opts.postIntervalMs ?? 1000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger.child({ component: 'slack-chat-port' });
  }

  post(channel: string, msg: ChatMessage, opts: { threadTs?: string } = {}): Promise<{ ts: string }> {
    this.tailUpdate.delete(channel);
    return this.inOrder(channel, async () => {
      await this.pace(channel);
      const res = await this.call(
        'chat.postMessage',
        { channel, threadTs: opts.threadTs, text: msg.text },
        () =>
          this.opts.client.chat.postMessage({
            channel,
            ...body(msg),
            ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
            unfurl_links: false,
            unfurl_media: false,
          }),
      );
      this.lastPostAt.set(channel, this.clock.now());
      return { ts: String(res.ts ?? '') };
    });
  }

  /**
   * Updates queued for the same message collapse into the latest one (chat.update replaces the whole message,
   * so intermediate versions are never worth a call); every caller's promise settles with the sent version.
   */
  update(channel: string, ts: string, msg: ChatMessage): Promise<void> {
    const key = `${channel}/${ts}`;
    const pending = this.pendingUpdates.get(key);
    // Only when nothing was queued in the channel after it: collapsing must never reorder.
    if (pending && this.tailUpdate.get(channel) === key) {
      pending.msg = msg;
      return pending.done;
    }
    const entry: { msg: ChatMessage; done: Promise<void> } = { msg, done: Promise.resolve() };
    entry.done = this.inOrder(channel, async () => {
      if (this.pendingUpdates.get(key) === entry) this.pendingUpdates.delete(key);
      if (this.tailUpdate.get(channel) === key) this.tailUpdate.delete(channel);
      const latest = entry.msg;
      await this.call('chat.update', { channel, ts, text: latest.text }, () =>
        this.opts.client.chat.update({ channel, ts, ...body(latest) }),
      );
    });
    this.pendingUpdates.set(key, entry);
    this.tailUpdate.set(channel, key);
    return entry.done;
  }

  /** Ephemerals go to one person, outside the channel's queue: answers must not wait behind progress reports. */
  async postEphemeral(channel: string, user: string, msg: ChatMessage): Promise<void> {
    await this.call('chat.postEphemeral', { channel, user, text: msg.text }, () =>
      this.opts.client.chat.postEphemeral({ channel, user, ...body(msg) }),
    );
  }

  /** Resolves when every queued message has been sent (or given up on): for a graceful stop. */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private inOrder<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(channel) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(channel, tail);
    void tail.then(() => {
      if (this.chains.get(channel) === tail) this.chains.delete(channel);
    });
    return run;
  }

  private async pace(channel: string): Promise<void> {
    const last = this.lastPostAt.get(channel);
    if (last === undefined) return;
    const wait = last + this.postIntervalMs - this.clock.now();
    if (wait > 0) await this.sleep(wait);
  }

  private async call<R>(
    method: LostMessage['method'],
    what: { channel: string; threadTs?: string; ts?: string; user?: string; text: string },
    fn: () => Promise<R>,
  ): Promise<R> {
    let backoff = this.backoffMs;
    let verdict: Verdict = { retry: false, error: 'not_attempted' };
    let attempt = 0;
    await this.opts.beforeCall?.();
    while (attempt < this.maxAttempts) {
      attempt += 1;
      try {
        return await fn();
      } catch (err) {
        verdict = classify(err);
        if (!verdict.retry || attempt >= this.maxAttempts) break;
        let waitMs: number;
        if (verdict.waitMs !== undefined) {
          if (verdict.waitMs > this.maxRetryAfterMs) break;
          waitMs = verdict.waitMs;
        } else {
          waitMs = backoff + Math.floor(Math.random() * (backoff / 4));
          backoff = Math.min(backoff * 2, this.maxBackoffMs);
        }
        this.log.warn(
          { method, channel: what.channel, error: verdict.error, attempt, waitMs },
          'slack call failed, retrying',
        );
        await this.sleep(waitMs);
      }
    }
    const lost: LostMessage = {
      method,
      channel: what.channel,
      text: what.text.slice(0, 500),
      error: verdict.error,
      attempts: attempt,
    };
    if (what.threadTs) lost.threadTs = what.threadTs;
    if (what.ts) lost.ts = what.ts;
    if (what.user) lost.user = what.user;
    this.log.error({ lost }, 'slack message not delivered');
    try {
      await this.onLost?.(lost);
    } catch (err) {
      this.log.error({ err: (err as Error).message, method }, 'could not record the undelivered message');
    }
    throw new CodedError(SLACK_API_ERROR, `${method} failed: ${verdict.error}`, {
      method,
      slackError: verdict.error,
      attempts: attempt,
    });
  }
}

function body(msg: ChatMessage): { text: string; blocks?: ChatMessage['blocks'] } {
  const text = (msg.text || (msg.blocks.length ? '' : ' ')).slice(0, MAX_TEXT);
  return msg.blocks.length ? { text, blocks: msg.blocks } : { text };
}

export function createSlackChatPort(opts: SlackChatPortOptions): SlackChatPort {
  return new SlackChatPort(opts);
}
