/** The shape rules of src/ (issue 15): no function over 120 lines, no file over 400, as scripts/shape-report.mjs reads them. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the shape of src/', () => {
  it('has no function over 120 lines and no file over 400 lines', () => {
    const report = execFileSync(process.execPath, ['scripts/shape-report.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(report.trim().split('\n').filter(Boolean)).toEqual([]);
  });
});
