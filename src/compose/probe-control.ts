/** The fail-fast check that the control Redis answers, before any connection that waits for it forever. */
import { Redis } from 'ioredis';
import { CodedError, ErrorCodes } from '../core/errors.ts';
import { redactUrl } from '../logger.ts';

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
        ErrorCodes.ControlRedisRefused,
        `${where} asks for a password: put it in CONTROL_REDIS_URL (redis://:PASSWORD@host:port, or redis://USER:PASSWORD@… for an ACL user)`,
      );
    if (/^WRONGPASS\b/.test(message))
      throw new CodedError(
        ErrorCodes.ControlRedisRefused,
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
        ErrorCodes.ControlRedisNotRedis,
        `${where} does not answer (something answers there, but it does not speak Redis): point CONTROL_REDIS_URL at a Redis`,
      );
    throw new CodedError(
      ErrorCodes.ControlRedisUnreachable,
      `${where} does not answer (${why}). It keeps the plans, approvals and the queue: start one (for example \`redis-server --appendonly yes\`) or point CONTROL_REDIS_URL at yours`,
    );
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}
