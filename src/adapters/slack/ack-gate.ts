import type { ServerResponse } from 'node:http';

/** Longest a listener's work waits behind other requests' acks: a steady stream of requests never starves it. */
const MAX_WAIT_MS = 300;

/**
 * A burst is over once no request has come in for this long: the requests of a burst reach the process a few at
 * a time, and work started in a gap between two of them would stand in front of every later one's ack.
 */
const QUIET_MS = 15;

/**
 * Acks first. The receiver counts the requests it has taken in and not yet answered; a listener awaits
 * `afterPendingAcks()` right after its own `ack()`, so the work behind one command (scanning, rendering,
 * posting) runs once the other commands of a burst are acked, not in front of their acks.
 */
export interface AckGate {
  /** Counts `res` as waiting for its answer until it is finished or its connection closes. */
  track(res: ServerResponse): void;
  /**
   * Resolves once no counted request waits and none has come in for `QUIET_MS` (checked after the event loop has
   * taken in what already arrived on its sockets), or after `MAX_WAIT_MS` at the latest.
   */
  afterPendingAcks(): Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createAckGate(): AckGate {
  let pending = 0;
  let lastArrival = Number.NEGATIVE_INFINITY;
  let waiters: (() => void)[] = [];
  const settled = () => {
    pending--;
    if (pending > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  return {
    track(res) {
      pending++;
      lastArrival = performance.now();
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        settled();
      };
      res.once('finish', once);
      res.once('close', once);
    },
    async afterPendingAcks() {
      const until = performance.now() + MAX_WAIT_MS;
      for (;;) {
        await nextTurn();
        const now = performance.now();
        const left = until - now;
        const quietFor = now - lastArrival;
        if (left <= 0 || (pending === 0 && quietFor >= QUIET_MS)) return;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          // Waiting on answers: woken by the last one; else only the quiet time is left to wait.
          if (pending > 0) waiters.push(resolve);
          timer = setTimeout(resolve, Math.min(left, pending > 0 ? left : QUIET_MS - quietFor));
        });
        clearTimeout(timer);
      }
    },
  };
}
