/**
 * `fix-slots`:
 * - `assign`: give uncovered slots (or those of a master gone for good) to one node in one go
 *   (ADDSLOTSRANGE, SETSLOT … NODE where the node still sees the dead owner), then BUMPEPOCH so every node
 *   accepts the new owner. The keys of those slots are lost: highest risk.
 * - `stable`: repair open slots and stray keys like `redis-cli --cluster fix`: each slot is decided again on the
 *   fresh key counts (src/core/plans/slot-decision.ts) and repaired by repair-slot.ts; the step is done when
 *   every slot is stable on every master with its keys only on its one owner.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, describeNode, formatRanges, nodeById } from '../../core/plans/index.ts';
import { decideSlot, strayKeySlots } from '../../core/plans/slot-decision.ts';
import { parseInfo } from '../../core/topology/parse-info.ts';
import type { SlotRange, Step, Topology } from '../../core/types.ts';
import { slotProblems, summariseProblems } from '../slot-check.ts';
import { repairSlot } from './repair-slot.ts';
import { setSlot } from './set-slot.ts';
import { clusterNodesOf, failure, liveMembers, timed, waitFor } from './support.ts';
import type { StepContext, StepHandlerFor } from './types.ts';

type FixSlots = Extract<Step, { kind: 'fix-slots' }>;

function* eachSlot(ranges: SlotRange[]): Generator<number> {
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) yield s;
}

function owns(v: { slots: SlotRange[] }, slot: number): boolean {
  return v.slots.some((r) => r.start <= slot && slot <= r.end);
}

export const fixSlotsHandler: StepHandlerFor<'fix-slots'> = {
  check(topology, step) {
    const target = nodeById(topology, step.targetId);
    if (!target || !answers(topology, target)) {
      return {
        state: 'stale',
        reason: `${describeNode(target, step.targetId)} is not a live cluster member`,
      };
    }
    if (step.action === 'assign') {
      const masters = topology.nodes.filter((n) => n.role === 'master');
      let allMine = true;
      for (const s of eachSlot(step.slots)) {
        const owner = masters.find((m) => owns(m, s));
        if (owner?.id === step.targetId) continue;
        allMine = false;
        if (owner && answers(topology, owner) && owner.health === 'ok') {
          return { state: 'stale', reason: `slot ${s} is served by ${describeNode(owner)} again` };
        }
      }
      if (allMine)
        return {
          state: 'done',
          detail: `${describeNode(target)} already serves ${formatRanges(step.slots)}`,
        };
      return { state: 'ready' };
    }
    const pending = [...eachSlot(step.slots)].filter((s) => slotNeedsRepair(topology, s));
    if (pending.length === 0)
      return {
        state: 'done',
        detail: `slots ${formatRanges(step.slots)} are stable everywhere, their keys on the owner`,
      };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    return step.action === 'assign' ? assign(ctx, step) : stabilise(ctx, step);
  },

  async waitUntilDone(ctx, step) {
    const live = liveMembers(ctx.topology).filter((n) => n.role === 'master' || step.action === 'assign');
    const slots = [...eachSlot(step.slots)];
    if (step.action === 'assign') {
      const targetAddr = step.addr;
      const addrs = [...new Set([...live.map((n) => n.addr!), targetAddr])];
      await waitFor(
        ctx,
        `every node to see ${formatRanges(step.slots)} served by ${targetAddr}`,
        async () => {
          const views = await Promise.all(addrs.map((a) => clusterNodesOf(ctx, a)));
          return views.every((v) => {
            const t = v.find((x) => x.id === step.targetId);
            return Boolean(t) && slots.every((s) => owns(t!, s));
          });
        },
      );
      return `every node sees ${formatRanges(step.slots)} on ${targetAddr}`;
    }
    const addrs = live.map((n) => n.addr!);
    await waitFor(ctx, `slots ${formatRanges(step.slots)} to be stable, each on one owner`, async () => {
      const problems = await slotProblems(ctx.commander, addrs, slots);
      if (problems.length > 0) throw new Error(summariseProblems(problems, 3));
      return true;
    });
    return `slots ${formatRanges(step.slots)} are stable`;
  },
};

async function assign(ctx: StepContext, step: FixSlots): Promise<string> {
  // A fresh node learns the cluster's currentEpoch from the first pings after the handshake; BUMPEPOCH
  // before that gives it an epoch lower than the dead owner's, whose UPDATE then takes the slots back
  // (and makes the new node its replica). Wait for the epoch first.
  const need = Math.max(
    0,
    ...ctx.topology.nodes.map((n) => Math.max(n.configEpoch, n.info?.currentEpoch ?? 0)),
  );
  await waitFor(ctx, `${step.addr} to learn the cluster's current epoch (${need})`, async () => {
    const info = parseInfo(String(await ctx.commander.call(step.addr, ['CLUSTER', 'INFO'])));
    return Number(info.cluster_current_epoch ?? 0) >= need;
  });
  const view = await clusterNodesOf(ctx, step.addr);
  const busy = new Set<number>();
  for (const v of view) {
    if (v.id === step.targetId || !v.flags.includes('master')) continue;
    for (const s of eachSlot(step.slots)) if (owns(v, s)) busy.add(s);
  }
  const me = view.find((v) => v.id === step.targetId);
  const free: number[] = [];
  for (const s of eachSlot(step.slots)) if (!busy.has(s) && !(me && owns(me, s))) free.push(s);
  await timed(ctx, async () => {
    try {
      const ranges = toRanges(free);
      if (ranges.length > 0) {
        await ctx.commander.call(step.addr, [
          'CLUSTER',
          'ADDSLOTSRANGE',
          ...ranges.flatMap((r) => [r.start, r.end]),
        ]);
      }
      // Slots this node still sees on the old owner: take them one by one.
      const taken = [...busy];
      for (let i = 0; i < taken.length; i += 200) {
        await Promise.all(
          taken.slice(i, i + 200).map((s) => setSlot(ctx, step.addr, [s, 'NODE', step.targetId])),
        );
      }
      await ctx.commander.call(step.addr, ['CLUSTER', 'BUMPEPOCH']);
    } catch (err) {
      throw failure(err, `assigning ${formatRanges(step.slots)} to ${step.addr}`);
    }
  });
  return `${step.addr} claimed ${formatRanges(step.slots)} (${free.length} free, ${busy.size} taken over)`;
}

function toRanges(slots: number[]): SlotRange[] {
  const out: SlotRange[] = [];
  for (const s of [...slots].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last.end === s - 1) last.end = s;
    else out.push({ start: s, end: s });
  }
  return out;
}

/** Each slot of the step, decided again on the fresh topology (its key counts), then repaired. */
async function stabilise(ctx: StepContext, step: FixSlots): Promise<string> {
  const done: string[] = [];
  for (const slot of eachSlot(step.slots)) {
    if (!slotNeedsRepair(ctx.topology, slot)) continue;
    const d = decideSlot(ctx.topology, slot);
    if (!d.ok) throw new CodedError(ErrorCodes.StepFailed, d.reason, { slot, transient: false });
    await timed(ctx, async () => {
      try {
        done.push(await repairSlot(ctx, d));
      } catch (err) {
        if (
          err instanceof CodedError &&
          (err.code === ErrorCodes.Cancelled || err.details?.slot !== undefined)
        )
          throw err;
        throw failure(err, `repairing slot ${slot}`);
      }
    });
  }
  return done.length > 0 ? done.join('; ') : 'nothing left to move';
}

/** Open on some node, or keys of it on a master that does not own it. */
function slotNeedsRepair(topology: Topology, slot: number): boolean {
  const open = topology.nodes.some((n) => [...n.migrating, ...n.importing].some((m) => m.slot === slot));
  return open || strayKeySlots(topology).includes(slot);
}
