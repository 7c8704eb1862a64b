/**
 * The end check of every plan that touched slots: every key of each touched slot sits on that slot's only
 * owner (`CLUSTER COUNTKEYSINSLOT` is 0 on every other reachable master), exactly one master claims the
 * slot, and no node has it open. A plan whose check fails ends Failed, naming slot, node and count.
 */

import { type ErrorCode, ErrorCodes } from '../core/errors.ts';
import { nodeById } from '../core/plans/cluster-view.ts';
import type { Clock, NodeCommander, TopologySource } from '../core/ports.ts';
import { parseClusterNodes } from '../core/topology/parse-cluster-nodes.ts';
import type { Addr, NodeView, SlotRange, Step, Topology } from '../core/types.ts';
import { countableMasters, countKeysInSlots } from './slot-keys.ts';
import { sleep } from './steps/support.ts';

const owns = (v: { slots: SlotRange[] }, s: number) => v.slots.some((r) => r.start <= s && s <= r.end);

function* eachSlot(ranges: readonly SlotRange[]): Generator<number> {
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) yield s;
}

/** Slots a step changes the owner or the keys of (read on the topology the step was checked on). */
export function slotsTouchedBy(step: Step, topology: Topology): number[] {
  if (step.kind === 'fix-slots') return [...eachSlot(step.slots)];
  if (step.kind === 'failover') {
    const ranges = [step.masterId, step.replicaId].flatMap((id) => nodeById(topology, id)?.slots ?? []);
    return [...new Set(eachSlot(ranges))];
  }
  return [];
}

/** Each master's own line of CLUSTER NODES (`myself`); a node that does not answer is a problem. */
async function ownViews(commander: NodeCommander, addrs: Addr[], problems: string[]) {
  const views = new Map<Addr, NodeView>();
  await Promise.all(
    addrs.map(async (a) => {
      try {
        const parsed = parseClusterNodes(String(await commander.call(a, ['CLUSTER', 'NODES'])));
        const me = parsed.ok ? parsed.value.find((v) => v.flags.includes('myself')) : undefined;
        if (me?.flags.includes('master')) views.set(a, me);
      } catch (err) {
        problems.push(`${a} could not be checked: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return views;
}

/** What is wrong with `slots` on the masters at `addrs`: [] when every slot is settled on one owner. */
export async function slotProblems(
  commander: NodeCommander,
  addrs: Addr[],
  slots: number[],
  timeoutMs = 1000,
): Promise<string[]> {
  const problems: string[] = [];
  const views = await ownViews(commander, addrs, problems);
  const counts = new Map<Addr, (number | undefined)[]>();
  await Promise.all(
    [...views.keys()].map(async (a) => counts.set(a, await countKeysInSlots(commander, a, slots, timeoutMs))),
  );
  slots.forEach((slot, i) => {
    const owners = [...views].filter(([, v]) => owns(v, slot));
    if (owners.length !== 1) {
      problems.push(
        owners.length === 0
          ? `slot ${slot} is served by no reachable master`
          : `slot ${slot} is claimed by ${owners.length} masters (${owners.map(([a]) => a).join(', ')})`,
      );
    }
    for (const [a, v] of views) {
      const m = v.migrating.find((x) => x.slot === slot);
      const imp = v.importing.find((x) => x.slot === slot);
      if (m) problems.push(`slot ${slot} is still open on ${a} (migrating to ${m.nodeId.slice(0, 8)})`);
      if (imp) problems.push(`slot ${slot} is still open on ${a} (importing from ${imp.nodeId.slice(0, 8)})`);
      if (owners.length === 1 && owners[0]![0] === a) continue;
      const n = counts.get(a)?.[i];
      if (n === undefined) problems.push(`slot ${slot}: ${a} did not answer COUNTKEYSINSLOT`);
      else if (n > 0) {
        const owner = owners.length === 1 ? `its owner is ${owners[0]![0]}` : 'it has no single owner';
        problems.push(
          `slot ${slot}: ${n} key${n === 1 ? '' : 's'} on ${a} (${v.id.slice(0, 8)}), which does not own it (${owner}); clients cannot read them`,
        );
      }
    }
  });
  return problems;
}

/** Shortens a list of problems for a thread message. */
export function summariseProblems(problems: string[], max = 5): string {
  const shown = problems.slice(0, max).join('; ');
  return problems.length > max ? `${shown}; and ${problems.length - max} more` : shown;
}

/**
 * The end check, on a fresh scan, repeated until it passes or `timeoutMs` ran out (gossip of the last step may
 * still be spreading). Returns the last problems ([] when every touched slot is settled).
 */
export async function verifyTouchedSlots(
  deps: { source: TopologySource; commander: NodeCommander; clock: Clock },
  slots: number[],
  opts: { timeoutMs: number; pollMs: number; signal?: AbortSignal },
): Promise<string[]> {
  const deadline = deps.clock.now() + opts.timeoutMs;
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  for (;;) {
    let problems: string[];
    try {
      const topology = await deps.source.scan();
      const addrs = countableMasters(topology).map((m) => m.addr!);
      problems = await slotProblems(deps.commander, addrs, sorted);
    } catch (err) {
      problems = [
        `the end check could not read the cluster: ${err instanceof Error ? err.message : String(err)}`,
      ];
    }
    if (problems.length === 0 || deps.clock.now() >= deadline || opts.signal?.aborted) return problems;
    await sleep(Math.max(opts.pollMs, 250), opts.signal);
  }
}

/**
 * The executor's end check: undefined when the touched slots are settled (or none were touched), else the
 * error that fails the plan. Waits up to 10 s (at most the executor's wait deadline) for gossip to settle.
 */
export async function slotCheckFailure(
  deps: {
    source: TopologySource;
    commander: NodeCommander;
    clock: Clock;
    waitTimeoutMs?: number;
    pollMs?: number;
  },
  slots: number[],
  signal?: AbortSignal,
): Promise<{ code: ErrorCode; message: string; details: Record<string, unknown> } | undefined> {
  if (slots.length === 0) return undefined;
  const problems = await verifyTouchedSlots(deps, slots, {
    timeoutMs: Math.min(deps.waitTimeoutMs ?? 60_000, 10_000),
    pollMs: deps.pollMs ?? 200,
    ...(signal ? { signal } : {}),
  });
  if (problems.length === 0) return undefined;
  const message = `the steps ran, but the slots are not settled: ${summariseProblems(problems)}`;
  return { code: ErrorCodes.SlotCheckFailed, message, details: { problems: problems.slice(0, 50) } };
}
