/**
 * A plan worker as its own process, for tests that hold it at a step to kill it (`ROLE=worker` through
 * src/main.ts is the production worker; test/integration/queue-worker-npm-start.test.ts kills that one).
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
import { Redis } from 'ioredis';
import { createEventBus } from '../../src/adapters/queue/event-bus.ts';
import { planQueuePrefix } from '../../src/adapters/queue/plan-queue.ts';
import { type ClusterExecutorDeps, startPlanWorker } from '../../src/adapters/queue/plan-worker.ts';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import { createAuditLog } from '../../src/adapters/store/audit.ts';
import { createPlanStore } from '../../src/adapters/store/plan-store.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { systemClock } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { testRunCheck } from './approval-kit.ts';

const num = (v: string | undefined) => (v ? Number(v) : undefined);

async function main() {
  const url = process.env.CONTROL_REDIS_URL;
  if (!url) throw new Error('CONTROL_REDIS_URL: required');
  const prefix = process.env.MEDIC_PREFIX ?? 'medic';
  const defs = JSON.parse(process.env.MEDIC_CLUSTERS ?? '[]') as ClusterDefinition[];
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');

  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const store = createPlanStore(connection, { prefix });
  const audit = createAuditLog(connection, { prefix });
  const bus = createEventBus(connection, { prefix });

  const deps = new Map<string, ClusterExecutorDeps>();
  const executorDepsFor = (name: string): ClusterExecutorDeps => {
    const known = deps.get(name);
    if (known) return known;
    const def = defs.find((d) => d.name === name);
    if (!def) throw new Error(`unknown cluster ${name}`);
    const commander = createNodeCommander(def.auth);
    const d: ClusterExecutorDeps = {
      commander,
      source: createTopologySource(def, { commander, timeoutMs: 1000 }),
      clock: systemClock,
    };
    deps.set(name, d);
    return d;
  };

  const holdAfter = num(process.env.MEDIC_HOLD_AFTER_STEP);
  const holdMs = num(process.env.MEDIC_HOLD_MS);
  const worker = startPlanWorker({
    connection,
    prefix: planQueuePrefix(prefix),
    store,
    bus,
    audit,
    logger,
    executorDepsFor,
    checkBeforeRun: testRunCheck(
      process.env.APPROVAL_SECRET,
      (process.env.APPROVERS ?? '').split(',').filter(Boolean),
    ),
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
  });
  await worker.worker.waitUntilReady();

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await worker.close();
    await bus.close();
    for (const d of deps.values()) await d.commander.close();
    await connection.quit().catch(() => connection.disconnect());
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
