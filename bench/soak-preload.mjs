/**
 * Bench-only preload for `bench/soak.ts` (never loaded by the app itself): `node --expose-gc --import
 * ./bench/soak-preload.mjs …`. On SIGUSR2 the process collects garbage (full GC, twice) and prints one line
 * `SOAK-HEAP {"heapUsed":…,"rss":…}` on stderr; with SOAK_SNAPSHOT_DIR set it also writes a heap snapshot
 * there and names it in the line.
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

let n = 0;
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  const line = {
    heapUsed: m.heapUsed,
    rss: m.rss,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    // Committed memory of each V8 space (new_space is the young generation, sized by --max-semi-space-size).
    spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
    gc: typeof globalThis.gc === 'function',
  };
  const dir = process.env.SOAK_SNAPSHOT_DIR;
  if (dir)
    line.snapshot = writeHeapSnapshot(
      `${dir}/${process.env.ROLE ?? 'proc'}-${String(n++).padStart(2, '0')}.heapsnapshot`,
    );
  process.stderr.write(`SOAK-HEAP ${JSON.stringify(line)}\n`);
});
