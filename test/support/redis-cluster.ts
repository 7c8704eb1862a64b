/**
 * vitest wrappers around src/sandbox/local-cluster.ts: start real redis-server processes for a file or
 * a test, and stop them afterwards — also when the test fails (afterAll/afterEach, plus the process-exit
 * hook and watchdog of local-cluster itself).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  type LocalCluster,
  type LocalNode,
  type LocalRedis,
  type StartClusterOptions,
  type StartRedisOptions,
  startLocalCluster,
  startRedis,
} from '../../src/sandbox/local-cluster.ts';

export type { LocalCluster, LocalNode, LocalRedis } from '../../src/sandbox/local-cluster.ts';
export { startLocalCluster, startRedis } from '../../src/sandbox/local-cluster.ts';

export interface Handle<T> {
  /** The running resource; throws when read outside the hooks' lifetime. */
  readonly current: T;
}

function handle<T>(get: () => T | undefined, what: string): Handle<T> {
  return {
    get current(): T {
      const v = get();
      if (!v) throw new Error(`${what} is not running (read it inside a test or hook)`);
      return v;
    },
  };
}

/**
 * One cluster per file (`scope: 'file'`, default: beforeAll/afterAll) or a fresh one per test
 * (`scope: 'each'`: beforeEach/afterEach). Read it as `handle.current` inside tests.
 */
export function useCluster(opts: StartClusterOptions, scope: 'file' | 'each' = 'file'): Handle<LocalCluster> {
  let cluster: LocalCluster | undefined;
  const before = scope === 'file' ? beforeAll : beforeEach;
  const after = scope === 'file' ? afterAll : afterEach;
  before(async () => {
    cluster = await startLocalCluster(opts);
  });
  after(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  return handle(() => cluster, 'the cluster');
}

/** A single non-cluster redis-server (e.g. the control Redis), per file or per test. */
export function useRedis(opts: StartRedisOptions = {}, scope: 'file' | 'each' = 'file'): Handle<LocalRedis> {
  let redis: LocalRedis | undefined;
  const before = scope === 'file' ? beforeAll : beforeEach;
  const after = scope === 'file' ? afterAll : afterEach;
  before(async () => {
    redis = await startRedis(opts);
  });
  after(async () => {
    await redis?.stop();
    redis = undefined;
  });
  return handle(() => redis, 'the redis server');
}

/**
 * A cluster for the body of one test, stopped when the body ends (passed or failed):
 * `await withCluster({ masters: 3, replicasPerMaster: 0 }, async (c) => { … })`.
 */
export async function withCluster<T>(
  opts: StartClusterOptions,
  body: (c: LocalCluster) => Promise<T>,
): Promise<T> {
  const cluster = await startLocalCluster(opts);
  try {
    return await body(cluster);
  } finally {
    await cluster.stop();
  }
}

/** Clusters started by a test through `track(…)` are stopped after that test. */
export function useClusterTracker(): { track(c: LocalCluster): LocalCluster } {
  const started: LocalCluster[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop()));
  });
  return {
    track(c) {
      started.push(c);
      return c;
    },
  };
}

/** Every running member serves every slot again (cluster_state:ok) and knows `promoted` as a master. */
export async function waitForPromotionAgreed(cluster: LocalCluster, promoted: LocalNode): Promise<void> {
  const members = cluster.nodes.filter((n) => n.state === 'running');
  await cluster.waitFor(
    async () => {
      for (const n of members) {
        if (!(await cluster.cli(n, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const line = (await cluster.cli(n, 'CLUSTER', 'NODES'))
          .split('\n')
          .find((l) => l.startsWith(promoted.id));
        if (!line?.includes('master')) return false;
      }
      return true;
    },
    20_000,
    'every member to agree on the promotion',
  );
}
