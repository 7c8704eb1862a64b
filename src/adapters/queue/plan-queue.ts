import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlanQueuePort, PlanRecord, PlanStore } from '../../core/plan-record.ts';

export const PLANS_QUEUE = 'plans';

/** What a job carries: the plan itself stays in the plan store, the single source of truth. */
export interface PlanJobData {
  planId: string;
  cluster: string;
}

export interface PlanQueueOptions {
  /** Control-Redis connection (shared; the caller closes it). */
  connection: Redis;
  /** BullMQ key prefix (default `medic:bull`). Never an ioredis keyPrefix. */
  prefix?: string;
  queueName?: string;
  /** Attempts for transient failures (default 3). */
  attempts?: number;
  /** First backoff delay, exponential (default 2000 ms). */
  backoffMs?: number;
  /** Connection errors (the control Redis restarting); default: ignored, BullMQ reconnects. */
  onError?: (err: Error) => void;
}

export interface PlanQueue extends PlanQueuePort {
  queue: Queue<PlanJobData>;
  /** BullMQ state of a plan's job (`waiting`, `active`, `delayed`, `completed`, `failed`, `unknown`). */
  jobState(planId: string): Promise<string>;
  /**
   * Puts every approved / queued plan back on the queue (a process may have died between approval and
   * enqueue). Adding an existing job id is a no-op, so this is safe to run at every start.
   */
  requeueOrphans(store: PlanStore): Promise<string[]>;
  close(): Promise<void>;
}

export function planQueuePrefix(prefix = 'medic'): string {
  return `${prefix}:bull`;
}

export function createPlanQueue(opts: PlanQueueOptions): PlanQueue {
  const queue = new Queue<PlanJobData>(opts.queueName ?? PLANS_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix ?? planQueuePrefix(),
    defaultJobOptions: {
      attempts: opts.attempts ?? 3,
      backoff: { type: 'exponential', delay: opts.backoffMs ?? 2000 },
      // Keep finished jobs for a while: while the job exists, re-adding its id is ignored.
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  });

  queue.on('error', opts.onError ?? (() => {}));

  async function enqueue(record: PlanRecord): Promise<void> {
    // jobId = plan id: a second add of the same plan is ignored by BullMQ (do not trust the returned Job).
    await queue.add(
      'run-plan',
      { planId: record.plan.id, cluster: record.plan.cluster },
      { jobId: record.plan.id },
    );
  }

  return {
    queue,
    enqueue,
    async jobState(planId) {
      return (await queue.getJobState(planId)) as string;
    },
    async requeueOrphans(store) {
      const open = await store.list({ status: ['approved', 'queued'], limit: 200 });
      const done: string[] = [];
      for (const rec of open) {
        const state = (await queue.getJobState(rec.plan.id)) as string;
        if (state === 'unknown') {
          await enqueue(rec);
          done.push(rec.plan.id);
        }
      }
      return done;
    },
    async close() {
      await queue.close();
    },
  };
}
