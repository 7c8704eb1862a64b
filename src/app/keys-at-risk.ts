/**
 * Counting keys at risk on the live cluster (issue 14, part 3): asks `CLUSTER COUNTKEYSINSLOT` for every
 * slot a step can drop, on every live holder, all at once (the commander pipelines them on one connection
 * per node), within a deadline: a frozen node yields "unknown", never a hang. The estimate itself is pure
 * (src/core/risk).
 */
import type { NodeCommander } from '../core/ports.ts';
import {
  countKey,
  estimateStep,
  type KeyCountRequest,
  type KeyCounts,
  keyCountRequests,
  keysAtRiskRose,
  withKeysAtRisk,
} from '../core/risk/index.ts';
import type { Plan, SlotRange, Topology } from '../core/types.ts';
import { settleWithin } from '../deadline.ts';

export interface CountOptions {
  /** Deadline of one node's counts, ms (default 3000). */
  timeoutMs?: number;
}

function* eachSlot(ranges: SlotRange[]): Generator<number> {
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) yield s;
}

/** The keys of `slots` on one node, or null when it did not answer every count before the deadline. */
async function countOn(
  commander: NodeCommander,
  r: KeyCountRequest,
  timeoutMs: number,
): Promise<number | null> {
  const count = Promise.all(
    [...eachSlot(r.slots)].map((s) =>
      commander.call(r.addr, ['CLUSTER', 'COUNTKEYSINSLOT', s], { timeoutMs }),
    ),
  ).then((replies) => replies.reduce<number>((n, x) => n + Number(x), 0));
  const n = await settleWithin(count, timeoutMs, null);
  return n !== null && Number.isFinite(n) ? n : null;
}

/** Answers every request, nodes in parallel. */
export async function countKeys(
  commander: NodeCommander,
  requests: KeyCountRequest[],
  opts: CountOptions = {},
): Promise<KeyCounts> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const answered = await Promise.all(
    requests.map(async (r) => [countKey(r), await countOn(commander, r, timeoutMs)] as const),
  );
  return new Map(answered);
}

/** The plan with its keys at risk counted on the live cluster (see src/core/risk). */
export async function assessKeysAtRisk(
  plan: Plan,
  topology: Topology,
  commander: NodeCommander,
  opts: CountOptions = {},
): Promise<Plan> {
  const counts = await countKeys(commander, keyCountRequests(plan, topology), opts);
  return withKeysAtRisk(plan, topology, counts);
}

/**
 * Right before step `index`: counts again on the fresh topology. Returns why the plan must stop (the
 * figure went up since approval), or undefined when it did not (or the step carries no estimate).
 */
export async function keysAtRiskRoseBefore(
  plan: Plan,
  index: number,
  topology: Topology,
  commander: NodeCommander,
  opts: CountOptions = {},
): Promise<string | undefined> {
  const before = plan.steps[index]?.keysAtRisk;
  if (!before) return undefined;
  const counts = await countKeys(commander, keyCountRequests(plan, topology, index), opts);
  const after = estimateStep(plan, index, topology, counts);
  return after ? keysAtRiskRose(before, after) : undefined;
}
