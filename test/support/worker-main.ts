/**
 * A plan worker as its own process, for tests that hold it at a step to kill it: the ROLE=worker app of
 * src/compose/ (without the ops port), plus the hold hook. test/integration/queue-worker-npm-start.test.ts
 * kills the production worker (`src/main.ts`).
 *
 * Environment:
 *   CONTROL_REDIS_URL      the control Redis
 *   MEDIC_PREFIX           key prefix (default `medic`)
 *   MEDIC_CLUSTERS         JSON ClusterDefinition[] of the target clusters
 *   APPROVAL_SECRET, APPROVERS   as for redis-medic (the run-time approval check)
 *   MEDIC_LOCK_MS, MEDIC_STALLED_MS, MEDIC_WAIT_POLL_MS, MEDIC_CLUSTER_LOCK_TTL_MS   timings (optional)
 *   MEDIC_HOLD_AFTER_STEP  test hook: after that step's outcome is persisted, print `HOLD <plan> <step>` and
 *                          stop doing anything (the test then kills the process); for MEDIC_HOLD_MS
 *                          only, when set
 * Prints `READY` on stdout once the worker is listening; closes gracefully on SIGTERM / SIGINT.
 */
import { composeWorker } from '../../src/compose/roles/worker.ts';
import { loadConfig } from '../../src/config.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_APPROVAL_SECRET, TEST_APPROVERS } from './approval-kit.ts';

const num = (v: string | undefined) => (v ? Number(v) : undefined);

/** The worker's configuration: the test secret and approvers unless the environment names others. */
function workerConfig(url: string, defs: ClusterDefinition[]) {
  const loaded = loadConfig({
    CONTROL_REDIS_URL: url,
    REDIS_CLUSTER_NODES: defs.flatMap((d) => d.seeds).join(','),
    APPROVAL_SECRET: process.env.APPROVAL_SECRET ?? TEST_APPROVAL_SECRET,
    ROLE: 'worker',
  });
  if (!loaded.ok) throw new Error(`worker-main config: ${loaded.problems.join('; ')}`);
  // The test approvers (UA, UB, U0…) are shorter than Slack ids: set after the schema, as testRunCheck did.
  const approvers = (process.env.APPROVERS ?? '').split(',').filter(Boolean);
  return { ...loaded.config, APPROVERS: approvers.length ? approvers : TEST_APPROVERS };
}

async function main() {
  const url = process.env.CONTROL_REDIS_URL;
  if (!url) throw new Error('CONTROL_REDIS_URL: required');
  const defs = JSON.parse(process.env.MEDIC_CLUSTERS ?? '[]') as ClusterDefinition[];
  const holdAfter = num(process.env.MEDIC_HOLD_AFTER_STEP);
  const holdMs = num(process.env.MEDIC_HOLD_MS);
  const app = await composeWorker(workerConfig(url, defs), {
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn'),
    extra: {
      prefix: process.env.MEDIC_PREFIX ?? 'medic',
      clusters: defs,
      worker: {
        lockDurationMs: num(process.env.MEDIC_LOCK_MS),
        stalledIntervalMs: num(process.env.MEDIC_STALLED_MS),
        waitPollMs: num(process.env.MEDIC_WAIT_POLL_MS),
        clusterLockTtlMs: num(process.env.MEDIC_CLUSTER_LOCK_TTL_MS),
        afterStepPersisted:
          holdAfter === undefined
            ? undefined
            : async (planId, index) => {
                if (index !== holdAfter) return;
                process.stdout.write(`HOLD ${planId} ${index}\n`);
                await new Promise((resolve) => {
                  if (holdMs !== undefined) setTimeout(resolve, holdMs);
                });
              },
      },
    },
  });
  await app.worker?.worker.waitUntilReady();

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.stdout.write('READY\n');
}

main().catch((err) => {
  process.stderr.write(`worker-main: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
