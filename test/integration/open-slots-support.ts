/**
 * Helpers for the open-slot tests: keys of one slot written straight to its owner (text and binary names),
 * half-finished migrations made by hand, and what a user checks afterwards (every key readable through a
 * cluster client, no open slot on any node, exactly one owner per slot).
 */
import { expect } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { keySlot } from '../../src/core/topology/key-slot.ts';
import type { LocalCluster, LocalNode } from '../support/redis-cluster.ts';
import { clusterClient, type Harness, planNow, stepKinds } from './plans-support.ts';

export type Key = string | Buffer;

/** `[start, end]` ranges a node serves, from its own CLUSTER NODES line. */
export async function ownRanges(cluster: LocalCluster, n: LocalNode): Promise<[number, number][]> {
  const line = (await cluster.cli(n, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'))!;
  return line
    .trim()
    .split(' ')
    .slice(8)
    .filter((t) => !t.startsWith('['))
    .map((t) => t.split('-').map(Number))
    .map(([a, b]) => [a!, b ?? a!]);
}

/** A hash tag whose slot `owner` serves. */
export async function tagOwnedBy(
  cluster: LocalCluster,
  owner: LocalNode,
): Promise<{ tag: string; slot: number }> {
  const ranges = await ownRanges(cluster, owner);
  for (let i = 0; ; i++) {
    const slot = keySlot(`t${i}`);
    if (ranges.some(([a, b]) => a <= slot && slot <= b)) return { tag: `t${i}`, slot };
  }
}

/** The master (as built) serving `slot`. */
export async function masterOf(cluster: LocalCluster, slot: number): Promise<LocalNode> {
  for (const m of cluster.masters()) {
    if ((await ownRanges(cluster, m)).some(([a, b]) => a <= slot && slot <= b)) return m;
  }
  throw new Error(`no master serves slot ${slot}`);
}

/** Writes `n` keys `{tag}:i` on `owner` directly; returns them with their values. */
export async function writeTagged(cluster: LocalCluster, owner: LocalNode, tag: string, n: number) {
  const written = new Map<Key, string>();
  for (let i = 0; i < n; i++) {
    await cluster.call(owner, 'SET', `{${tag}}:${i}`, `v${i}`);
    written.set(`{${tag}}:${i}`, `v${i}`);
  }
  return written;
}

/** Opens the slot on both sides and MIGRATEs `keys` from `from` to `to` (as a reshard would, then stops). */
export async function migrateByHand(
  cluster: LocalCluster,
  from: LocalNode,
  to: LocalNode,
  slot: number,
  keys: string[],
): Promise<void> {
  await cluster.call(to, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
  await cluster.call(from, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
  const auth = cluster.password ? ['AUTH', cluster.password] : [];
  await cluster.call(from, 'MIGRATE', to.host, to.port, '', 0, 5000, ...auth, 'KEYS', ...keys);
}

/** The three masters of a three-master local cluster, in the order they were built. */
export const threeMasters = (cluster: LocalCluster) => cluster.masters() as [LocalNode, LocalNode, LocalNode];

/** The names `{tag}:from` … `{tag}:(to-1)`, as writeTagged wrote them. */
export const keysOf = (tag: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `{${tag}}:${from + i}`);

/** A slot `from` serves, `total` keys written on it, the first `moved` MIGRATEd by hand to `to` (slot left open). */
export async function halfMigrated(
  cluster: LocalCluster,
  from: LocalNode,
  to: LocalNode,
  total: number,
  moved: number,
) {
  const { tag, slot } = await tagOwnedBy(cluster, from);
  const written = await writeTagged(cluster, from, tag, total);
  await migrateByHand(cluster, from, to, slot, keysOf(tag, 0, moved));
  return { tag, slot, written };
}

/** Writes one key of `slot` on `other` (which does not own it) through a brief IMPORTING, then clears the marker by hand. */
export async function strayKey(
  cluster: LocalCluster,
  owner: LocalNode,
  other: LocalNode,
  tag: string,
  slot: number,
) {
  await cluster.call(other, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', owner.id);
  await cluster.call(other, 'ASKING');
  await cluster.call(other, 'SET', `{${tag}}:stray`, 'x');
  await cluster.call(other, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
}

/** Keys whose value, read through a cluster-aware client, is not the one written. */
export async function unreadable(cluster: LocalCluster, written: Map<Key, string>): Promise<string[]> {
  const c = clusterClient(cluster);
  const bad: string[] = [];
  try {
    for (const [k, v] of written) {
      const got = await c.getBuffer(k).catch((e: Error) => Buffer.from(`error ${e.message}`));
      if (got?.toString() !== v) bad.push(`${Buffer.from(k).toString('hex')}=${got?.toString()}`);
    }
  } finally {
    c.disconnect();
  }
  return bad;
}

/** What a user checks: cluster_state:ok everywhere, every key readable, no open slot anywhere, each slot served by one master. */
export async function expectSettled(cluster: LocalCluster, written: Map<Key, string>): Promise<void> {
  const running = cluster.all().filter((x) => x.state === 'running');
  await cluster.waitFor(
    async () => {
      for (const n of running)
        if (!(await cluster.cli(n, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
      return true;
    },
    10_000,
    'cluster_state:ok on every running node',
  );
  expect(await unreadable(cluster, written)).toEqual([]);
  const claims = new Map<number, string[]>();
  for (const n of cluster.all().filter((x) => x.state === 'running')) {
    const text = await cluster.cli(n, 'CLUSTER', 'NODES');
    expect(text, `${n.addr} still has an open slot`).not.toMatch(/\[\d+-[<>]-/);
    const me = text.split('\n').find((l) => l.includes('myself'))!;
    if (!me.split(' ')[2]!.includes('master')) continue;
    for (const [a, b] of await ownRanges(cluster, n)) {
      for (let s = a; s <= b; s++) claims.set(s, [...(claims.get(s) ?? []), n.addr]);
    }
  }
  const wrong = [...claims].filter(([, who]) => who.length !== 1).map(([s, who]) => `${s}: ${who.join(',')}`);
  expect(wrong, 'slots claimed by several masters').toEqual([]);
  expect(claims.size, 'slots served').toBe(16384);
}

/** Keys of `slot` on node `n`. */
export async function keysIn(cluster: LocalCluster, n: LocalNode, slot: number): Promise<number> {
  return Number(await cluster.call(n, 'CLUSTER', 'COUNTKEYSINSLOT', slot));
}

/** Diagnose, check the plan is one slot repair kept by `owner`, run it, and return the plan and result. */
export async function repairSlots(h: Harness, owner: LocalNode) {
  const plan = await planNow(h);
  expect(stepKinds(plan), plan.title).toEqual(['fix-slots']);
  expect(plan.steps[0]).toMatchObject({ action: 'stable', targetId: owner.id });
  const result = await executePlan(plan, h.deps);
  expect(result.status, result.detail).toBe('succeeded');
  return { plan, result };
}
