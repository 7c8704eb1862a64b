/**
 * Port slices for tests: each test process draws cluster ports from a slice of its own, held for its lifetime, so
 * no node ever takes a port (data or bus) that another process's node may still need, e.g. to restart on.
 * Data ports span 10000-19999 in 16 slices; their bus ports (+10000) span 20000-29999 and so meet no data port.
 * A slice is claimed by listening on a claim port (SLICE_CLAIM_BASE + slice) on loopback: the one lock every
 * process on the machine (a second test run included) sees. The preferred slice comes from the vitest worker id;
 * MEDIC_PORT_SLICE_BASE shifts it. The vitest setup file is port-slice-setup.ts.
 */
import { createServer, type Server } from 'node:net';

export const PORT_SLICE = 625;
export const SLICES = 16;
export const SLICE_CLAIM_BASE = 9_100;

/** The slice this process would like. */
export function portSlice(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number {
  const pool = Number(env.VITEST_POOL_ID);
  const base = Number(env.MEDIC_PORT_SLICE_BASE ?? 0) || 0;
  return ((Number.isInteger(pool) && pool > 0 ? pool - 1 : pid) + base) % SLICES;
}

/** The data ports of slice `s` (inclusive). */
export function sliceRange(s: number): { min: number; max: number } {
  const min = 10_000 + s * PORT_SLICE;
  return { min, max: min + PORT_SLICE - 1 };
}

function hold(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer((sock) => sock.destroy());
    srv.once('error', () => resolve(null));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      srv.unref();
      resolve(srv);
    });
  });
}

/** Claims the first free slice from `preferred` on; the claim lasts until `release` or the process ends. */
export async function claimSlice(
  preferred: number,
): Promise<{ slice: number; release: () => Promise<void> }> {
  for (let i = 0; i < SLICES; i++) {
    const slice = (preferred + i) % SLICES;
    const srv = await hold(SLICE_CLAIM_BASE + slice);
    if (srv) return { slice, release: () => new Promise((r) => srv.close(() => r())) };
  }
  throw new Error(
    `all ${SLICES} port slices are held by other processes (claim ports ${SLICE_CLAIM_BASE}-${SLICE_CLAIM_BASE + SLICES - 1})`,
  );
}
