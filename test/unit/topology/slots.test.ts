import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countSlots,
  formatSlotRanges,
  intersectRanges,
  mergeRanges,
  parseSlotRanges,
  SLOT_COUNT,
  subtractRanges,
  uncoveredSlots,
} from '../../../src/core/topology/index.ts';
import type { SlotRange } from '../../../src/core/types.ts';

const range = fc
  .tuple(fc.integer({ min: 0, max: SLOT_COUNT - 1 }), fc.integer({ min: 0, max: 200 }))
  .map(([start, len]): SlotRange => ({ start, end: Math.min(SLOT_COUNT - 1, start + len) }));
const ranges = fc.array(range, { maxLength: 30 });

/** The slots as a set, the slow obvious way, to check the range arithmetic against. */
function slotSet(rs: SlotRange[]): Set<number> {
  const s = new Set<number>();
  for (const r of rs) for (let i = r.start; i <= r.end; i++) s.add(i);
  return s;
}

describe('slot ranges', () => {
  it('formats single slots and ranges the way redis-cli reads them', () => {
    expect(
      formatSlotRanges([
        { start: 10923, end: 16383 },
        { start: 5961, end: 6460 },
        { start: 7, end: 7 },
      ]),
    ).toBe('7,5961-6460,10923-16383');
    expect(formatSlotRanges([])).toBe('');
  });

  it('merges overlapping and adjacent ranges', () => {
    expect(
      mergeRanges([
        { start: 5, end: 9 },
        { start: 0, end: 4 },
        { start: 8, end: 12 },
        { start: 20, end: 20 },
      ]),
    ).toEqual([
      { start: 0, end: 12 },
      { start: 20, end: 20 },
    ]);
  });

  it('counts the 5462 slots of a failed master of write-up 002', () => {
    expect(countSlots([{ start: 5461, end: 10922 }])).toBe(5462);
  });

  it('finds the slots no master covers', () => {
    const nodes = [{ slots: [{ start: 0, end: 5460 }] }, { slots: [{ start: 10923, end: 16383 }] }];
    expect(uncoveredSlots(nodes)).toEqual([{ start: 5461, end: 10922 }]);
    expect(uncoveredSlots([{ slots: [{ start: 0, end: 16383 }] }])).toEqual([]);
  });

  it('refuses text that is not slots', () => {
    const r = parseSlotRanges('0-100,abc');
    expect(!r.ok && r.error).toContain('abc');
  });

  describe('properties', () => {
    it('parse(format(ranges)) gives back the merged ranges', () => {
      fc.assert(
        fc.property(ranges, (rs) => {
          const r = parseSlotRanges(formatSlotRanges(rs));
          expect(r.ok && r.value).toEqual(mergeRanges(rs));
        }),
      );
    });

    it('countSlots counts distinct slots', () => {
      fc.assert(fc.property(ranges, (rs) => countSlots(rs) === slotSet(rs).size));
    });

    it('subtract and intersect agree with set arithmetic', () => {
      fc.assert(
        fc.property(ranges, ranges, (a, b) => {
          const sa = slotSet(a);
          const sb = slotSet(b);
          expect(slotSet(subtractRanges(a, b))).toEqual(new Set([...sa].filter((s) => !sb.has(s))));
          expect(slotSet(intersectRanges(a, b))).toEqual(new Set([...sa].filter((s) => sb.has(s))));
        }),
        { numRuns: 50 },
      );
    });

    it('covered plus uncovered is every slot, with no overlap', () => {
      fc.assert(
        fc.property(ranges, (rs) => {
          const un = uncoveredSlots([{ slots: rs }]);
          expect(countSlots(un) + countSlots(rs)).toBe(SLOT_COUNT);
          expect(intersectRanges(un, rs)).toEqual([]);
        }),
      );
    });
  });
});
