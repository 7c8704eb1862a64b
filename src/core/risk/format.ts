/**
 * Keys at risk in words (the plan message, the CLI, the thread when a recount stops a plan). Pure.
 */
import { formatRanges } from '../plans/plan.ts';
import type { KeysAtRisk } from '../types.ts';

const UNKNOWN = 'unknown — nobody can count them';

const num = (n: number) => n.toLocaleString('en-US');

function slotList(k: KeysAtRisk): string {
  if (!k.slots || k.slots.length === 0) return '';
  const list = formatRanges(k.slots);
  return ` in slots ${list.length > 120 ? `${list.slice(0, 119)}…` : list}`;
}

function bytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1048576).toFixed(1)} MB`;
}

/**
 * "0 keys at risk", "41,000 keys in slots 5461-10922 would be dropped", "≈300 writes not yet on the
 * replica would be lost (15.0 KB behind)", or "keys in slots …: unknown — nobody can count them (why)".
 */
export function formatKeysAtRisk(k: KeysAtRisk): string {
  const parts: string[] = [];
  if (typeof k.keys === 'number' && k.keys > 0)
    parts.push(`${num(k.keys)} key${k.keys === 1 ? '' : 's'}${slotList(k)} would be dropped`);
  if (k.keys === null) parts.push(`keys${slotList(k)}: ${UNKNOWN}`);
  if (typeof k.writes === 'number' && k.writes > 0)
    parts.push(
      `≈${num(k.writes)} write${k.writes === 1 ? '' : 's'} not yet on the promoted replica would be lost${k.lagBytes !== undefined ? ` (${bytes(k.lagBytes)} of replication behind)` : ''}`,
    );
  if (k.writes === null) parts.push(`writes not yet on the promoted replica: ${UNKNOWN}`);
  const why = k.unknownWhy?.length ? ` (${k.unknownWhy.join('; ')})` : '';
  return parts.length === 0 ? '0 keys at risk' : `${parts.join('; ')}${why}`;
}

/**
 * A rise this small in ≈ writes is noise, not a reason to stop: with a live master the lag is the writes of
 * the last second or so (a replica acknowledges once a second), and it moves with the traffic.
 */
const WRITES_SLACK = (n: number) => Math.ceil(n * 0.5) + 100;

/**
 * Did the figure go up since approval? One sentence saying how, or undefined. A figure that could be
 * counted before and no longer can counts as a rise: nobody can tell it did not grow.
 */
export function keysAtRiskRose(before: KeysAtRisk, after: KeysAtRisk): string | undefined {
  const rises: string[] = [];
  if (typeof before.keys === 'number') {
    if (after.keys === null)
      rises.push(
        `the keys${slotList(before)} can no longer be counted${after.unknownWhy?.length ? ` (${after.unknownWhy.join('; ')})` : ''}`,
      );
    else if (typeof after.keys === 'number' && after.keys > before.keys)
      rises.push(
        `keys${slotList(before)} that would be dropped went up from ${num(before.keys)} to ${num(after.keys)}`,
      );
  }
  if (typeof before.writes === 'number') {
    if (after.writes === null) rises.push('the writes the replica lacks can no longer be counted');
    else if (typeof after.writes === 'number' && after.writes > before.writes + WRITES_SLACK(before.writes))
      rises.push(`the writes the replica lacks went up from ≈${num(before.writes)} to ≈${num(after.writes)}`);
  }
  return rises.length > 0 ? rises.join('; ') : undefined;
}
