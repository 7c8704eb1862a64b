import type { ParseResult } from '../errors.ts';
import type { SlotRange } from '../types.ts';

/** Redis Cluster hashes every key into one of 16384 slots. */
export const SLOT_COUNT = 16384;
export const MAX_SLOT = SLOT_COUNT - 1;

/** Sorted, non-overlapping, adjacent ranges joined: `[0-5, 6-9, 3-4]` → `[0-9]`. */
export function mergeRanges(ranges: readonly SlotRange[]): SlotRange[] {
  if (ranges.length === 0) return [];
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: SlotRange[] = [];
  let cur = { ...sorted[0]! };
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.start <= cur.end + 1) {
      if (r.end > cur.end) cur.end = r.end;
    } else {
      out.push(cur);
      cur = { ...r };
    }
  }
  out.push(cur);
  return out;
}

/** Number of distinct slots in the ranges (overlaps counted once). */
export function countSlots(ranges: readonly SlotRange[]): number {
  let n = 0;
  for (const r of mergeRanges(ranges)) n += r.end - r.start + 1;
  return n;
}

/** `0-5460,5462,10923-16383`; '' for no slots. */
export function formatSlotRanges(ranges: readonly SlotRange[]): string {
  return mergeRanges(ranges)
    .map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`))
    .join(',');
}

/** Reads what {@link formatSlotRanges} writes (also accepts spaces as separators). */
export function parseSlotRanges(text: string): ParseResult<SlotRange[]> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: [] };
  const ranges: SlotRange[] = [];
  for (const part of trimmed.split(/[\s,]+/)) {
    const r = parseSlotToken(part);
    if (!r) return { ok: false, error: `not a slot or slot range: "${part}"` };
    ranges.push(r);
  }
  return { ok: true, value: mergeRanges(ranges) };
}

/** `N` or `N-M` with 0 ≤ N ≤ M ≤ 16383, else undefined. */
export function parseSlotToken(token: string): SlotRange | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(token);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > MAX_SLOT || end > MAX_SLOT || end < start) return undefined;
  return { start, end };
}

/** The slots in `a` that are not in `b`. */
export function subtractRanges(a: readonly SlotRange[], b: readonly SlotRange[]): SlotRange[] {
  const left = mergeRanges(a);
  const right = mergeRanges(b);
  const out: SlotRange[] = [];
  let j = 0;
  for (const r of left) {
    let start = r.start;
    while (j < right.length && right[j]!.end < start) j++;
    let k = j;
    while (k < right.length && right[k]!.start <= r.end) {
      const cut = right[k]!;
      if (cut.start > start) out.push({ start, end: cut.start - 1 });
      start = Math.max(start, cut.end + 1);
      k++;
    }
    if (start <= r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** The slots in both `a` and `b`. */
export function intersectRanges(a: readonly SlotRange[], b: readonly SlotRange[]): SlotRange[] {
  const left = mergeRanges(a);
  const right = mergeRanges(b);
  const out: SlotRange[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const l = left[i]!;
    const r = right[j]!;
    const start = Math.max(l.start, r.start);
    const end = Math.min(l.end, r.end);
    if (start <= end) out.push({ start, end });
    if (l.end < r.end) i++;
    else j++;
  }
  return out;
}

/** Slots of 0-16383 that none of the given nodes serve. */
export function uncoveredSlots(nodes: readonly { slots: readonly SlotRange[] }[]): SlotRange[] {
  const all: SlotRange[] = [];
  for (const n of nodes) for (const r of n.slots) all.push(r);
  return subtractRanges([{ start: 0, end: MAX_SLOT }], all);
}

/** Does any range contain this slot? */
export function hasSlot(ranges: readonly SlotRange[], slot: number): boolean {
  return ranges.some((r) => r.start <= slot && slot <= r.end);
}

/** Do the two sets of ranges share a slot? */
export function rangesOverlap(a: readonly SlotRange[], b: readonly SlotRange[]): boolean {
  return a.some((x) => b.some((y) => x.start <= y.end && y.start <= x.end));
}

/** Is every slot of `inner` in `outer`? */
export function rangesContain(outer: readonly SlotRange[], inner: readonly SlotRange[]): boolean {
  return inner.every((r) => {
    for (let s = r.start; s <= r.end; s++) if (!hasSlot(outer, s)) return false;
    return true;
  });
}
