/** While a plan runs: keeps its cluster lock alive and stops it before its next step when it is cancelled. */
import type { PlanJob, RunDeps } from './ports.ts';

export interface RunGuard {
  /** Aborted when a person cancelled the plan or this worker lost the job. */
  signal: AbortSignal;
  /** Asks once more whether someone cancelled the plan (right after a step, not a poll later). */
  checkCancel(): Promise<void>;
  stop(): void;
}

export function guardRun(deps: RunDeps, job: PlanJob, cluster: string): RunGuard {
  const { store, lockTtlMs } = deps;
  const planId = job.planId;
  const renew = setInterval(
    () => {
      store.renewClusterLock(cluster, planId, lockTtlMs).catch(() => {});
    },
    Math.max(250, Math.min(lockTtlMs / 3, 10_000)),
  );
  const abort = new AbortController();
  const onJobAbort = () => abort.abort();
  job.signal?.addEventListener('abort', onJobAbort);
  const watchCancel = setInterval(() => {
    store.cancelRequestedBy(planId).then(
      (by) => by && abort.abort(),
      () => {},
    );
  }, deps.cancelPollMs);
  return {
    signal: abort.signal,
    async checkCancel() {
      if (await store.cancelRequestedBy(planId).catch(() => null)) abort.abort();
    },
    stop() {
      clearInterval(renew);
      clearInterval(watchCancel);
      job.signal?.removeEventListener('abort', onJobAbort);
    },
  };
}
