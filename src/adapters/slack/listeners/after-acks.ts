/**
 * Resolves after the event loop has taken in the requests already waiting on their sockets. A listener
 * awaits it right after `ack()`, so the work behind one command (parsing, scanning, rendering, logging)
 * runs after the other commands of a burst are acked, not in front of their acks.
 */
export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
