import { describe, expect, it } from 'vitest';
import { scanCluster } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import {
  cutOff,
  definition,
  executorDeps,
  missingKeys,
  planCtx,
  replication,
  useReplicationSet,
  waitUntil,
  writeAcknowledged,
} from './standalone-support.ts';

const replicationSet = useReplicationSet();

describe('standalone master/replica set', () => {
  describe('when one replica is given as the only seed', () => {
    it('finds the master and the other replica through INFO replication, and finds only the persistence risk', async () => {
      const { set, commander } = await replicationSet.start();
      const seed = set.replicas[0]!;
      const topology = await scanCluster(definition('plain', [seed.addr]), {
        commander,
        recordMetrics: false,
      });

      expect(topology.mode).toBe('standalone');
      const answered = topology.probes.filter((p) => p.outcome === 'ok').map((p) => p.addr);
      expect(answered.sort()).toEqual(
        set
          .all()
          .map((r) => r.addr)
          .sort(),
      );
      // Persistence is off on this master (as in write-up 004): the only finding is that risk.
      expect(analyzeTopology(topology).map((f) => f.code)).toEqual(['standalone-master-no-persistence']);
    });
  });

  describe('when the master is killed', () => {
    it('proposes promoting the replica with the highest offset; after approval the other follows it and every acknowledged write is there', async () => {
      const { set, commander } = await replicationSet.start();
      const { master } = set;
      // The laggard is the replica with the lower address, so "first by address" would pick the wrong one.
      const [laggard, ahead] = [...set.replicas].sort((a, b) => a.port - b.port) as [
        (typeof set.replicas)[0],
        (typeof set.replicas)[0],
      ];
      const before = await writeAcknowledged(master, 'before', 200, 2);

      // The laggard stops hearing from the master; writes go on, acknowledged by the other replica.
      await cutOff(master, laggard);
      const during = await writeAcknowledged(master, 'during', 300, 1);
      await waitUntil('the leading replica to have every write', async () => {
        const m = await replication(master);
        const a = await replication(ahead);
        return a.slave_repl_offset === m.master_repl_offset;
      });
      await master.kill();
      laggard.thaw();
      await waitUntil('the laggard to see its master gone', async () => {
        return (await replication(laggard)).master_link_status === 'down';
      });

      const def = definition(
        'plain',
        set.all().map((r) => r.addr),
      );
      const topology = await scanCluster(def, { commander, recordMetrics: false });
      const findings = analyzeTopology(topology);
      expect(findings[0]).toMatchObject({ code: 'standalone-no-master', severity: 'critical' });
      expect(findings[0]!.summary).toContain(master.addr);

      const outcome = planForFindings(topology, findings, planCtx('plain'));
      if (!outcome.ok) throw new Error(outcome.reason);
      const plan = outcome.plan;
      expect(plan.steps.map((s) => [s.kind, 'addr' in s ? s.addr : ''])).toEqual([
        ['promote', ahead.addr],
        ['replicaof', laggard.addr],
      ]);
      expect(plan.steps[0]!.commands).toEqual([`${ahead.addr} REPLICAOF NO ONE`]);
      expect(plan.steps[1]!.commands).toEqual([`${laggard.addr} REPLICAOF 127.0.0.1 ${ahead.port}`]);

      const result = await executePlan(plan, executorDeps(def, commander));
      expect(result.status, result.detail).toBe('succeeded');

      expect((await replication(ahead)).role).toBe('master');
      const l = await replication(laggard);
      expect([l.role, l.master_port, l.master_link_status]).toEqual(['slave', String(ahead.port), 'up']);
      const acknowledged = new Map([...before, ...during]);
      await waitUntil('the laggard to have caught up with the new master', async () => {
        return (await missingKeys(laggard, acknowledged)).length === 0;
      });
      expect(await missingKeys(ahead, acknowledged)).toEqual([]);
      expect(await missingKeys(laggard, acknowledged)).toEqual([]);
      // Writes go to the new master, and reach the replica.
      expect(await ahead.call('SET', 'after', 'yes')).toBe('OK');
      await waitUntil('the write after the failover to reach the replica', async () => {
        return (await laggard.call('GET', 'after')) === 'yes';
      });

      // Diagnosed again: only the old persistence risk is left, nothing about the lost master.
      const healed = analyzeTopology(await scanCluster(def, { commander, recordMetrics: false }));
      expect(healed.filter((f) => f.severity === 'critical')).toEqual([]);
    });

    it('stops without touching anything when the old master is back before the plan runs', async () => {
      const { set, commander } = await replicationSet.start();
      await writeAcknowledged(set.master, 'k', 20, 2);
      await set.master.kill();
      const def = definition(
        'plain',
        set.all().map((r) => r.addr),
      );
      const topology = await scanCluster(def, { commander, recordMetrics: false });
      const outcome = planForFindings(topology, analyzeTopology(topology), planCtx('plain'));
      if (!outcome.ok) throw new Error(outcome.reason);

      await set.master.restart();
      await set.waitLinked();
      const result = await executePlan(outcome.plan, executorDeps(def, commander));
      expect(result.status).toBe('stale');
      expect(result.detail).toContain('answers again');
      for (const r of set.replicas) expect((await replication(r)).role).toBe('slave');
    });
  });
});
