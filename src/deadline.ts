/** Bounds on a promise: every wait that must never hang (a frozen node, a slow scan) goes through here. */

/** `p`, or a rejection with `late()` once `ms` have passed; the timer never keeps the process alive. */
export function withDeadline<T>(p: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref?.();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** `p`'s value, or `fallback` when it rejects or takes longer than `ms`. */
export function settleWithin<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return withDeadline(p, ms, () => new Error('late')).catch(() => fallback);
}
