/** What a composed app closes on the way out, last opened first. */
import { every } from '../app/every.ts';
import type { Logger } from '../logger.ts';

export interface Closers {
  add(close: () => Promise<unknown>): void;
  /** Runs `sweep` every `ms` (0: never), one round at a time, until the app closes. */
  every(ms: number, sweep: () => Promise<unknown>): void;
  /** Closes everything added, in reverse order; an error is logged and the rest still close. */
  closeAll(): Promise<void>;
}

export function createClosers(log: Logger): Closers {
  const closers: (() => Promise<unknown>)[] = [];
  return {
    add: (close) => {
      closers.push(close);
    },
    every: (ms, sweep) => {
      const stop = every(ms, sweep);
      closers.push(async () => stop());
    },
    async closeAll() {
      for (const c of closers.splice(0).reverse()) {
        try {
          await c();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'error while closing');
        }
      }
    },
  };
}
