/**
 * Moves every key of one slot from one master to another with `MIGRATE … REPLACE [AUTH…] KEYS k1 k2 …`,
 * a batch at a time. Key names are read and sent as bytes (binary-safe). A batch after which the source
 * holds as many keys as before stops the move with a clear message (never a silent endless loop), and a
 * cancel is honoured between batches.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { splitAddr } from '../../core/plans/index.ts';
import { Credential } from '../../core/ports.ts';
import type { Addr } from '../../core/types.ts';
import { failure } from './support.ts';
import type { StepContext } from './types.ts';

/** Keys per MIGRATE, as redis-cli's default pipeline (10) times ten. */
export const MIGRATE_BATCH = 100;

async function countKeys(ctx: StepContext, addr: Addr, slot: number): Promise<number> {
  return Number(await ctx.commander.call(addr, ['CLUSTER', 'COUNTKEYSINSLOT', slot]));
}

/** Returns how many keys left `from`. On a password-protected cluster the source logs in with AUTH/AUTH2. */
export async function moveSlotKeys(ctx: StepContext, from: Addr, to: Addr, slot: number): Promise<number> {
  const { host, port } = splitAddr(to);
  const what = `keys of slot ${slot} from ${from} to ${to}`;
  let moved = 0;
  let before = await countKeys(ctx, from, slot);
  while (before > 0) {
    if (ctx.signal?.aborted) {
      throw new CodedError(
        ErrorCodes.Cancelled,
        `cancelled while moving ${what} (${moved} moved, ${before} left)`,
      );
    }
    const keys = (await ctx.commander.call(from, ['CLUSTER', 'GETKEYSINSLOT', slot, MIGRATE_BATCH], {
      buffers: true,
    })) as Buffer[];
    if (!Array.isArray(keys) || keys.length === 0) break;
    let reply: unknown;
    try {
      reply = await ctx.commander.call(
        from,
        ['MIGRATE', host, port, '', 0, 5000, 'REPLACE', Credential.migrateAuth, 'KEYS', ...keys],
        { timeoutMs: 10_000 },
      );
    } catch (err) {
      throw failure(err, `moving ${what}`);
    }
    const after = await countKeys(ctx, from, slot);
    if (after >= before) {
      throw new CodedError(
        ErrorCodes.StepFailed,
        `moving ${what} made no progress: a batch of ${keys.length} left ${after} key(s) on ${from} (MIGRATE answered ${String(reply)})`,
        { slot, from, to, left: after, transient: false },
      );
    }
    moved += before - after;
    before = after;
  }
  return moved;
}
