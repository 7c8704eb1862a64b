/**
 * `fix-slots`:
 * - `assign`: give uncovered slots (or those of a master gone for good) to one node in one go
 *   (ADDSLOTSRANGE, SETSLOT … NODE where the node still sees the dead owner), then BUMPEPOCH so every node
 *   accepts the new owner. The keys of those slots are lost: highest risk.
 * - `stable`: close open slots like `redis-cli --cluster fix`: a migration open on both sides is finished
 *   (keys moved, slot given to the importing node); otherwise stray keys go back to the owner and every
 *   node marks the slot stable.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers, describeNode, formatRanges, nodeById, splitAddr } from '../../core/plans/index.ts';
import { Credential } from '../../core/ports.ts';
import { parseInfo } from '../../core/topology/parse-info.ts';
import type { Addr, NodeView, SlotRange, Step } from '../../core/types.ts';
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
    const open = new Set<number>(eachSlot(step.slots));
    const stillOpen = topology.nodes.some((n) =>
      [...n.migrating, ...n.importing].some((m) => open.has(m.slot)),
    );
    if (!stillOpen)
      return { state: 'done', detail: `slots ${formatRanges(step.slots)} are stable everywhere` };
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
    const set = new Set(slots);
    await waitFor(ctx, `slots ${formatRanges(step.slots)} to be stable on every master`, async () => {
      const views = await Promise.all(live.map((n) => clusterNodesOf(ctx, n.addr!)));
      return views.every((v) =>
        v.every(
          (x) =>
            !x.flags.includes('myself') || ![...x.migrating, ...x.importing].some((m) => set.has(m.slot)),
        ),
      );
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

async function stabilise(ctx: StepContext, step: FixSlots): Promise<string> {
  const masters = liveMembers(ctx.topology).filter((n) => n.role === 'master');
  const myself = new Map<Addr, NodeView>();
  await Promise.all(
    masters.map(async (m) => {
      const me = (await clusterNodesOf(ctx, m.addr!)).find((v) => v.flags.includes('myself'));
      if (me) myself.set(m.addr!, me);
    }),
  );
  const addrOf = (id: string) => masters.find((m) => m.id === id)?.addr;
  const done: string[] = [];
  for (const slot of eachSlot(step.slots)) {
    const migrating = [...myself].filter(([, v]) => v.migrating.some((m) => m.slot === slot));
    const importing = [...myself].filter(([, v]) => v.importing.some((m) => m.slot === slot));
    const owner = [...myself].find(([, v]) => owns(v, slot));
    if (!owner)
      throw new CodedError(ErrorCodes.StepFailed, `slot ${slot}: no live master owns it`, {
        transient: false,
      });
    await timed(ctx, async () => {
      try {
        if (migrating.length === 1 && importing.length === 1 && migrating[0]![0] === owner[0]) {
          // Both sides open: finish the migration, as redis-cli --cluster fix does.
          const [srcAddr] = migrating[0]!;
          const [dstAddr, dst] = importing[0]!;
          await moveKeys(ctx, srcAddr, dstAddr, slot);
          await setSlot(ctx, dstAddr, [slot, 'NODE', dst.id]);
          await setSlot(ctx, srcAddr, [slot, 'NODE', dst.id]);
          await Promise.all(
            [...myself.keys()]
              .filter((a) => a !== srcAddr && a !== dstAddr)
              .map((a) => setSlot(ctx, a, [slot, 'NODE', dst.id])),
          );
          done.push(`${slot} moved to ${dstAddr}`);
          return;
        }
        // Otherwise: stray keys back to the owner, then every open side closed.
        for (const [addr] of importing) if (addr !== owner[0]) await moveKeys(ctx, addr, owner[0], slot);
        for (const [addr] of [...migrating, ...importing]) {
          await setSlot(ctx, addr, [slot, 'STABLE']);
        }
        done.push(`${slot} stable on ${addrOf(owner[1].id) ?? owner[0]}`);
      } catch (err) {
        throw failure(err, `closing slot ${slot}`);
      }
    });
  }
  return done.join('; ');
}

/**
 * MIGRATE every key of `slot` from `from` to `to`, 100 at a time. On a password-protected cluster the
 * source node must log in to the target: `AUTH` / `AUTH2`, which the commander fills in (Credential).
 */
async function moveKeys(ctx: StepContext, from: Addr, to: Addr, slot: number): Promise<void> {
  const { host, port } = splitAddr(to);
  for (;;) {
    const keys = (await ctx.commander.call(from, ['CLUSTER', 'GETKEYSINSLOT', slot, 100])) as string[];
    if (!Array.isArray(keys) || keys.length === 0) return;
    await ctx.commander.call(
      from,
      ['MIGRATE', host, port, '', 0, 5000, 'REPLACE', Credential.migrateAuth, 'KEYS', ...keys],
      {
        timeoutMs: 10_000,
      },
    );
  }
}
