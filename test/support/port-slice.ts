/**
 * A vitest setup file: each test worker (or process) draws cluster ports from its own slice of 750 of the
 * sixteen between 10000 and 21999, so no node reuses a port another process's cluster still gossips to.
 * MEDIC_PORT_SLICE_BASE shifts the slices so two test runs on one machine keep apart.
 */
import { setPortRange } from '../../src/sandbox/local-cluster.ts';

export const PORT_SLICE = 750;

/** Which of the sixteen slices this process uses. */
export function portSlice(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number {
  const pool = Number(env.VITEST_POOL_ID);
  const base = Number(env.MEDIC_PORT_SLICE_BASE ?? 0) || 0;
  return ((Number.isInteger(pool) && pool > 0 ? pool - 1 : pid) + base) % 16;
}

const slice = portSlice();
setPortRange({ min: 10_000 + slice * PORT_SLICE, max: 10_000 + slice * PORT_SLICE + PORT_SLICE - 1 });
