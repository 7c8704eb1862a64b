/** Test-only code lives under test/ (issue 16, point 10): no test hooks in src/, port slicing supplied by tests. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickFreePort, setPortRange } from '../../src/sandbox/local-cluster.ts';
import { claimSlice, portSlice, SLICES, sliceRange } from '../support/port-slice.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('test-only code', () => {
  it('is not in src/: no worker test harness, no MEDIC_HOLD_* hooks, no vitest port slicing', () => {
    expect(existsSync(join(ROOT, 'src/adapters/queue/worker-main.ts'))).toBe(false);
    const offenders = sourceFiles(join(ROOT, 'src')).filter((f) =>
      /MEDIC_HOLD_|VITEST_POOL_ID|MEDIC_PORT_SLICE_BASE/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('local-cluster draws ports from the range it is given (tests give each worker a slice)', async () => {
    setPortRange({ min: 15_000, max: 15_049 });
    try {
      for (let i = 0; i < 5; i++) {
        const port = await pickFreePort('127.0.0.1');
        expect(port).toBeGreaterThanOrEqual(15_000);
        expect(port).toBeLessThanOrEqual(15_049);
      }
    } finally {
      setPortRange({ min: 10_000, max: 21_999 });
    }
    expect(() => setPortRange({ min: 30_000, max: 30_500 })).toThrow(/within 1024-21999/);
  });

  it('slices by vitest worker and MEDIC_PORT_SLICE_BASE', () => {
    expect(portSlice({ VITEST_POOL_ID: '1' }, 7)).toBe(0);
    expect(portSlice({ VITEST_POOL_ID: '2', MEDIC_PORT_SLICE_BASE: '10' }, 7)).toBe(11);
    expect(portSlice({}, 35)).toBe(3);
  });

  it('gives no slice a data or bus port that is a data port of another slice', () => {
    const data = (s: number) => sliceRange(s);
    for (let a = 0; a < SLICES; a++) {
      expect(data(a).max).toBeLessThan(20_000);
      for (let b = 0; b < SLICES; b++) {
        if (a === b) continue;
        const busA = { min: data(a).min + 10_000, max: data(a).max + 10_000 };
        for (const r of [data(a), busA]) expect(r.max < data(b).min || r.min > data(b).max).toBe(true);
      }
    }
  });

  it('hands a slice to one holder at a time, the next free one to the second, and the slice back on release', async () => {
    const first = await claimSlice(5);
    const second = await claimSlice(first.slice);
    try {
      expect(second.slice).not.toBe(first.slice);
      await first.release();
      const again = await claimSlice(first.slice);
      expect(again.slice).toBe(first.slice);
      await again.release();
    } finally {
      await second.release();
    }
  });
});
