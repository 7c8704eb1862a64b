import type { Logger } from '../../logger.ts';

/**
 * The failure last logged per source (the lease, each cluster): a failure that repeats every interval
 * (Slack refusing a post, the control Redis down) is logged once, and its end once, not every round.
 */
export function createFailureLog(log: Logger) {
  const failing = new Map<string, string>();
  return {
    failed(key: string, err: unknown, fields: Record<string, unknown>, what: string): void {
      const message = (err as Error).message;
      if (failing.get(key) === message) {
        log.debug({ err: message, ...fields }, `${what} (again)`);
        return;
      }
      failing.set(key, message);
      log.error(
        { err: message, ...fields },
        `${what}; retrying every round, logged again only if it changes`,
      );
    },
    succeeded(key: string, fields: Record<string, unknown>, what: string): void {
      if (!failing.delete(key)) return;
      log.info(fields, what);
    },
  };
}
