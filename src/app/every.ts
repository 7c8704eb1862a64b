/**
 * Runs `task` every `ms` (0: never), one round at a time: a round still running when the next tick comes
 * makes that tick a no-op. The timer does not keep the process alive. Returns the function that stops it.
 * `task` reports its own errors; a rejection here is only swallowed.
 */
export function every(ms: number, task: () => Promise<unknown>): () => void {
  if (ms <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(() => {})
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
