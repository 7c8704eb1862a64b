import { describe, expect, it } from 'vitest';
import { scanCluster } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import type { NodeCommander } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import {
  definition,
  executorDeps,
  missingKeys,
  planCtx,
  type ReplicationSet,
  replication,
  useReplicationSet,
  waitUntil,
  writeAcknowledged,
} from './standalone-support.ts';

const replicationSet = useReplicationSet();

async function start(): Promise<{
  set: ReplicationSet;
  commander: NodeCommander;
  keys: Map<string, string>;
}> {
  const { set, commander } = await replicationSet.start();
  const keys = await writeAcknowledged(set.master, 'order', 71, 2);
  return { set, commander, keys };
}

describe('a master without persistence, with two replicas', () => {
  it('shows plainly that a restart of this master empties every replica', async () => {
    const { set, commander } = await start();
    const def = definition('plain', [set.master.addr]);
    const findings = analyzeTopology(await scanCluster(def, { commander, recordMetrics: false }));
    const risk = findings.find((f) => f.code === 'standalone-master-no-persistence');
    expect(risk).toBeDefined();
    expect(risk!.summary).toContain(`master ${set.master.addr} has no persistence`);
    expect(risk!.summary).toContain('a restart of this master empties every replica');
    expect(risk!.summary).toContain('2 replicas, 71 keys at risk');
    expect(risk!.evidence).toContain(`${set.master.addr} says aof_enabled:0`);
  });

  it('restarted directly, as write-up 004 did, it comes back empty and every replica copies the emptiness', async () => {
    const { set, keys } = await start();
    const replidBefore = (await replication(set.master)).master_replid;
    await set.master.restart();
    expect(Number(await set.master.call('DBSIZE'))).toBe(0);
    // The replicas reconnect to the same address and resync to the new, empty dataset.
    await waitUntil('the replicas to resync from the restarted master', async () => {
      const replid = (await replication(set.master)).master_replid;
      for (const r of set.replicas) {
        const i = await replication(r);
        if (i.master_link_status !== 'up' || i.master_replid !== replid || replid === replidBefore)
          return false;
      }
      return true;
    });
    for (const r of set.replicas) {
      expect(Number(await r.call('DBSIZE'))).toBe(0);
      expect(await missingKeys(r, keys)).toHaveLength(keys.size);
    }
  });

  it('the safe-restart plan hands over to a replica first, so the restart loses no key', async () => {
    const { set, commander, keys } = await start();
    const old = set.master;
    const def = definition('plain', [old.addr]);
    const topology = await scanCluster(def, { commander, recordMetrics: false });
    const outcome = planForAction(topology, { kind: 'restart', pod: old.addr }, planCtx('plain'));
    if (!outcome.ok) throw new Error(outcome.reason);
    const plan = outcome.plan;
    expect(plan.steps.map((s) => s.kind)).toEqual(['promote', 'replicaof', 'replicaof']);
    const [handover, repoint, rejoin] = plan.steps;
    if (handover?.kind !== 'promote' || repoint?.kind !== 'replicaof' || rejoin?.kind !== 'replicaof')
      throw new Error('unexpected steps');
    expect(handover.handover).toBe(true);
    expect(handover.commands[0]).toMatch(
      new RegExp(`^${old.addr} FAILOVER TO 127\\.0\\.0\\.1 \\d+ TIMEOUT \\d+$`),
    );
    // No pod is known here: the plan says plainly that the operator restarts the node.
    expect(rejoin.addr).toBe(old.addr);
    expect(rejoin.sentence).toContain('restart it yourself');

    const result = await executePlan(plan, executorDeps(def, commander));
    expect(result.status, result.detail).toBe('succeeded');
    const promoted = set.replicas.find((r) => r.addr === handover.addr)!;
    const other = set.replicas.find((r) => r !== promoted)!;
    expect((await replication(promoted)).role).toBe('master');
    expect((await replication(other)).master_port).toBe(String(promoted.port));
    expect((await replication(old)).master_port).toBe(String(promoted.port));

    // The operator restarts the old master now: it comes back empty, as a master nobody follows.
    await old.restart();
    expect(Number(await old.call('DBSIZE'))).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await missingKeys(promoted, keys)).toEqual([]);
    expect(await missingKeys(other, keys)).toEqual([]);

    // Diagnose sees two masters, the old one empty, and makes it follow the new master: no key to drop.
    // (Seeds list every node, as REDIS_CLUSTER_NODES would: the old master alone names nobody.)
    const everyNode = definition(
      'plain',
      set.all().map((r) => r.addr),
    );
    const after = await scanCluster(everyNode, {
      commander,
      recordMetrics: false,
    });
    const findings = analyzeTopology(after);
    expect(findings[0]?.code).toBe('standalone-split-brain');
    const rejoinPlan = planForFindings(after, findings, planCtx('plain'));
    if (!rejoinPlan.ok) throw new Error(rejoinPlan.reason);
    expect(rejoinPlan.plan.steps.map((s) => [s.kind, s.risk])).toEqual([['replicaof', 'low']]);
    expect(rejoinPlan.plan.steps[0]!.commands).toEqual([`${old.addr} REPLICAOF 127.0.0.1 ${promoted.port}`]);
    const rejoined = await executePlan(rejoinPlan.plan, executorDeps(everyNode, commander));
    expect(rejoined.status, rejoined.detail).toBe('succeeded');

    await waitUntil(
      'the old master to have every key again',
      async () => (await missingKeys(old, keys)).length === 0,
    );
    for (const node of [promoted, other, old]) expect(await missingKeys(node, keys)).toEqual([]);
  });

  it('plans AOF on, saying it lasts until the next restart unless the chart value changes', async () => {
    const { set, commander } = await start();
    const def = definition('plain', [set.master.addr]);
    const topology = await scanCluster(def, { commander, recordMetrics: false });
    const outcome = planForFindings(topology, analyzeTopology(topology), planCtx('plain'));
    if (!outcome.ok) throw new Error(outcome.reason);
    const [step] = outcome.plan.steps;
    expect(step?.kind).toBe('enable-aof');
    expect(step!.commands).toEqual([`${set.master.addr} CONFIG SET appendonly yes`]);
    expect(step!.sentence).toContain('lasts only until the next restart');
    expect(step!.sentence).toContain('master.persistence.enabled=true');
    expect(step!.sentence).toContain('appendonly yes');

    const result = await executePlan(outcome.plan, executorDeps(def, commander));
    expect(result.status, result.detail).toBe('succeeded');
    expect((await set.master.cli('CONFIG', 'GET', 'appendonly')).split('\n')[1]).toBe('yes');
    const again = analyzeTopology(await scanCluster(def, { commander, recordMetrics: false }));
    expect(again.map((f) => f.code)).not.toContain('standalone-master-no-persistence');
  });
});
