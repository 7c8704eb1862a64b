/**
 * Keys at risk (issue 14, part 3) on real redis-server processes: the figures a plan shows are the keys
 * and writes this test made, and the worker stops a plan whose figure went up after approval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { scanCluster } from '../../src/adapters/redis/scanner.ts';
import { assessKeysAtRisk } from '../../src/app/keys-at-risk.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { failoverStep, nodeById } from '../../src/core/plans/index.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { formatKeysAtRisk } from '../../src/core/risk/index.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { Plan } from '../../src/core/types.ts';
import {
  type LocalRedis,
  startLocalCluster,
  startRedis,
  useClusterTracker,
} from '../support/redis-cluster.ts';
import { harness, planNow, waitReplicasCaughtUp, writeKeys } from './plans-support.ts';
import { definition, executorDeps, planCtx, startReplicationSet } from './standalone-support.ts';

const tracker = useClusterTracker();

describe('keys at risk, counted on a real cluster', () => {
  it('gives uncovered slots that still hold keys back to their holder, so an assignment strands none (0 keys, counted)', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 0, spares: 1, nodeTimeoutMs: 1000 }),
    );
    const h = harness(cluster, () => cluster.spares.map((s) => s.addr));
    try {
      const written = await writeKeys(cluster, 400);
      const owner = cluster.masters()[0]!;
      const held = new Set<number>();
      for (const k of written.keys()) {
        const slot = Number(await cluster.call(owner, 'CLUSTER', 'KEYSLOT', k));
        if (slot <= 199) held.add(slot);
      }
      expect(held.size).toBeGreaterThan(0);
      // Slots 0-199 leave every node's map: their keys stay on the old owner, which no longer serves them.
      for (const m of cluster.masters()) await cluster.cli(m, 'CLUSTER', 'DELSLOTSRANGE', 0, 199);

      const plan = await assessKeysAtRisk(await planNow(h), await h.scan(), h.deps.commander);
      const assign = plan.steps.find((s) => s.kind === 'fix-slots' && s.action === 'assign');
      const assigned = assign?.kind === 'fix-slots' ? assign.slots : [];
      const inAssign = (slot: number) => assigned.some((r) => r.start <= slot && slot <= r.end);
      // Data first: every slot that holds keys is repaired onto its holder, only empty ones are assigned.
      for (const slot of held) expect(inAssign(slot), `slot ${slot} holds keys`).toBe(false);
      expect(assigned.reduce((n, r) => n + r.end - r.start + 1, 0)).toBe(200 - held.size);
      expect(assign?.keysAtRisk).toEqual({ keys: 0, slots: assigned });
      expect(plan.keysAtRisk?.keys).toBe(0);
      expect(formatKeysAtRisk(plan.keysAtRisk!)).toBe('0 keys at risk');

      // The holder frozen: the count ends at its deadline and says unknown, instead of hanging.
      const seen = await h.scan();
      cluster.freeze(owner);
      const frozen = await assessKeysAtRisk(plan, seen, h.deps.commander, { timeoutMs: 500 });
      cluster.thaw(owner);
      expect(frozen.keysAtRisk?.keys).toBeNull();
      expect(formatKeysAtRisk(frozen.keysAtRisk!)).toContain(
        `unknown — nobody can count them (${owner.addr}`,
      );
      expect(formatKeysAtRisk(frozen.keysAtRisk!)).toContain('did not answer the count in time');
    } finally {
      await h.close();
    }
  });

  it('estimates the writes a lagging replica lacks from the live offsets: about the writes the test made', async () => {
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5000 }),
    );
    const h = harness(cluster);
    try {
      await writeKeys(cluster, 30);
      await waitReplicasCaughtUp(cluster);
      const master = cluster.masters()[0]!;
      const replica = cluster.replicasOf(master)[0]!;
      cluster.freeze(replica);
      // 400 writes the frozen replica never acknowledges, each ≈ the size BYTES_PER_WRITE assumes.
      const writes = 400;
      let bytes = 0;
      const tag = await slotTagOf(cluster, master);
      for (let i = 0; i < writes; i++) {
        const key = `{${tag}}:${i}`;
        const value = `value-${i}`;
        await cluster.call(master, 'SET', key, value);
        bytes += resp(['SET', key, value]);
      }
      const topology = await h.scan();
      const r = nodeById(topology, replica.id)!;
      const m = nodeById(topology, master.id)!;
      const stub = planStub([failoverStep(r, m, master.id, 'force')]);
      const plan = await assessKeysAtRisk(stub, topology, h.deps.commander);
      const k = plan.steps[0]!.keysAtRisk!;
      // The stream carries exactly these SETs, plus at most a few PINGs from the master.
      expect(k.lagBytes).toBeGreaterThanOrEqual(bytes);
      expect(k.lagBytes).toBeLessThan(bytes + 200);
      expect(k.writes).toBeGreaterThan(writes * 0.5);
      expect(k.writes).toBeLessThan(writes * 2);
      expect(formatKeysAtRisk(k)).toMatch(/^≈[\d,]+ writes not yet on the promoted replica would be lost/);
      cluster.thaw(replica);
    } finally {
      await h.close();
    }
  });
});

describe('the worker recounts right before a step that can drop keys', () => {
  let extra: LocalRedis | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    await extra?.stop();
  });

  it('stops, touching nothing, when more keys would be dropped than were approved; runs once planned again', async () => {
    const set = await startReplicationSet(1);
    const commander = createNodeCommander({});
    stop = async () => {
      await commander.close();
      await set.stop();
    };
    // A second master with its own keys: keeping the master that has a replica means dropping these.
    extra = await startRedis({});
    for (let i = 0; i < 37; i++) await extra.call('SET', `extra:${i}`, i);
    await set.waitLinked();
    const def = definition('plain', [set.master.addr, set.replicas[0]!.addr, extra.addr]);
    const topology = await scanCluster(def, { commander, recordMetrics: false });
    const out = planForFindings(topology, analyzeTopology(topology), planCtx('plain'));
    if (!out.ok) throw new Error(out.reason);
    const plan = await assessKeysAtRisk(out.plan, topology, commander);
    const drop = plan.steps.find((s) => s.kind === 'replicaof' && s.addr === extra!.addr);
    expect(drop?.keysAtRisk).toEqual({ keys: 37 });
    expect(formatKeysAtRisk(plan.keysAtRisk!)).toBe('37 keys would be dropped');

    // Writes go on after approval: five more keys on the master that would be emptied.
    for (let i = 37; i < 42; i++) await extra.call('SET', `extra:${i}`, i);
    const result = await executePlan(plan, executorDeps(def, commander));
    expect(result.status).toBe('stale');
    expect(result.detail).toContain('went up from 37 to 42');
    expect(result.detail).toContain('needs a new approval');
    expect(Number(await extra.call('DBSIZE'))).toBe(42);
    expect(await extra.cli('ROLE')).toMatch(/^master/);

    // Planned again, the plan shows 42 and runs.
    const t2 = await scanCluster(def, { commander, recordMetrics: false });
    const again = planForFindings(t2, analyzeTopology(t2), planCtx('plain'));
    if (!again.ok) throw new Error(again.reason);
    const plan2 = await assessKeysAtRisk(again.plan, t2, commander);
    expect(plan2.keysAtRisk?.keys).toBe(42);
    const r2 = await executePlan(plan2, executorDeps(def, commander));
    expect(r2.status, r2.detail).toBe('succeeded');
  });
});

/** A hash tag whose keys live on `master`. */
async function slotTagOf(
  cluster: Awaited<ReturnType<typeof startLocalCluster>>,
  master: Awaited<ReturnType<typeof startLocalCluster>>['nodes'][number],
): Promise<string> {
  for (let i = 0; ; i++) {
    const slot = Number(await cluster.call(master, 'CLUSTER', 'KEYSLOT', `t${i}`));
    const ranges = (await cluster.cli(master, 'CLUSTER', 'NODES'))
      .split('\n')
      .find((l) => l.includes('myself'))!
      .split(' ')
      .slice(8);
    if (
      ranges.some((r) => {
        const [a, b] = r.split('-').map(Number);
        return a! <= slot && slot <= (b ?? a!);
      })
    )
      return `t${i}`;
  }
}

/** Bytes of one command in the replication stream (RESP array of bulk strings). */
function resp(args: string[]): number {
  let n = `*${args.length}\r\n`.length;
  for (const a of args) n += `$${Buffer.byteLength(a)}\r\n`.length + Buffer.byteLength(a) + 2;
  return n;
}

function planStub(steps: Plan['steps']): Plan {
  return {
    id: 'p-risk',
    cluster: 'it',
    title: 'forced failover',
    fingerprint: 'fp',
    requestedBy: 'U-test',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    risk: 'medium',
    steps,
    approvalsNeeded: 1,
    findings: [],
  };
}
