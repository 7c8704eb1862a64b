import type { Logger } from '../../logger.ts';
import { createFailureLog } from './failure-log.ts';
import type { WatchStore } from './ports.ts';

/** The lease was lost mid-round: say nothing more, the new leader carries on from the stored state. */
export class LeaseLost extends Error {}

export interface RoundsDeps<C extends { name: string }> {
  store: Pick<WatchStore, 'holdLease' | 'renewLease' | 'releaseLease'>;
  /** Identifies this process in the lease. */
  owner: string;
  leaseMs: number;
  intervalMs: number;
  /** Clusters read at once in a round. */
  concurrency: number;
  clusters: C[];
  log: Logger;
  /** This process did not simply keep the lease: another leader may have moved the stored state on. */
  onLeaseChange(): void;
  /** One cluster's share of a round; throws LeaseLost when the lease went meanwhile. */
  watchCluster(cluster: C): Promise<void>;
}

/** Runs `fn` on each cluster, `width` at a time, until `halt()` says stop. */
async function eachCluster<C>(
  clusters: C[],
  width: number,
  halt: () => boolean,
  fn: (c: C) => Promise<void>,
) {
  const queue = [...clusters];
  const worker = async () => {
    for (let cluster = queue.shift(); cluster; cluster = queue.shift()) {
      if (halt()) return;
      await fn(cluster);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, queue.length)) }, worker));
}

/**
 * The watcher's rounds: every interval (fixed rate), the one process holding the lease in the control Redis
 * goes over every cluster, a few at a time, so two bot replicas never both post.
 */
export function createRounds<C extends { name: string }>(deps: RoundsDeps<C>) {
  const { store, owner, log } = deps;
  const failures = createFailureLog(log);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();

  async function holdLease(): Promise<boolean> {
    const held = await store.holdLease(owner, deps.leaseMs);
    if (held === 'renewed') return true;
    deps.onLeaseChange();
    if (held === 'acquired') log.info({ owner }, 'watcher: this process now watches');
    return held === 'acquired';
  }

  async function round(): Promise<void> {
    if (stopped) return;
    try {
      if (!(await holdLease())) return;
      failures.succeeded('lease', {}, 'watcher: the control Redis answers again');
    } catch (err) {
      failures.failed('lease', err, {}, 'watcher: could not reach the control Redis for the lease');
      return;
    }
    // A few clusters at a time: a slow or frozen node holds up its own cluster, not the round.
    let leaseLost = false;
    await eachCluster(
      deps.clusters,
      deps.concurrency,
      () => stopped || leaseLost,
      async (cluster) => {
        try {
          await deps.watchCluster(cluster);
          failures.succeeded(
            `cluster:${cluster.name}`,
            { cluster: cluster.name },
            'watcher: rounds work again',
          );
        } catch (err) {
          if (!(err instanceof LeaseLost)) {
            failures.failed(
              `cluster:${cluster.name}`,
              err,
              { cluster: cluster.name },
              'watcher: round failed',
            );
            return;
          }
          if (!leaseLost)
            log.warn(
              { cluster: cluster.name },
              'watcher: lost the lease mid-round; another process carries on',
            );
          leaseLost = true;
        }
      },
    );
  }

  /** One round at a time in this process, whoever asks for it (the timer, a test, the sandbox after chaos). */
  function tick(): Promise<void> {
    chain = chain.then(round, round);
    return chain;
  }

  /** Fixed rate: the next round starts one interval after this one started (at once if it ran over). */
  function schedule(startedAt: number): void {
    if (stopped) return;
    const wait = Math.max(0, startedAt + deps.intervalMs - performance.now());
    timer = setTimeout(() => {
      const t = performance.now();
      running = tick().finally(() => schedule(t));
    }, wait);
  }

  return {
    /** Right before saying anything: still the leader? (A slow round may have outlived the lease.) */
    async ensureLease(): Promise<void> {
      if (stopped) throw new LeaseLost('stopped');
      if (!(await store.renewLease(owner, deps.leaseMs))) throw new LeaseLost('lease lost');
    },
    start(): void {
      stopped = false;
      const t = performance.now();
      running = tick().finally(() => schedule(t));
    },
    tick,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await chain.catch(() => undefined);
      await store.releaseLease(owner).catch(() => undefined);
    },
  };
}
