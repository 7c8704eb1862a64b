import { afterEach, describe, expect, it } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { scanCluster } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
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
  type Sentinels,
  startReplicationSet,
  startSentinels,
  waitUntil,
  writeAcknowledged,
} from './standalone-support.ts';

let set: ReplicationSet | undefined;
let sentinels: Sentinels | undefined;
let commander: NodeCommander | undefined;
afterEach(async () => {
  await commander?.close();
  await sentinels?.stop();
  await set?.stop();
  set = undefined;
  sentinels = undefined;
  commander = undefined;
});

describe('a master and two replicas watched by three Sentinels', () => {
  it('fails over through Sentinel when the master is gone, never by hand, and Sentinel agrees with the result', async () => {
    set = await startReplicationSet(2);
    commander = createNodeCommander({});
    const c = commander;
    sentinels = await startSentinels(set.master, 'orders', 2, {
      cli: (addr, ...args) => c.call(addr, args),
    });
    const keys = await writeAcknowledged(set.master, 'order', 100, 2);
    await set.master.kill();
    const nodes = set.all().map((r) => r.addr);

    // Not told about the Sentinels: the bot sees them watching and refuses to promote behind their back.
    const blind = definition('orders', nodes);
    const blindTopology = await scanCluster(blind, { commander, recordMetrics: false });
    const blindFindings = analyzeTopology(blindTopology);
    expect(blindFindings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['standalone-no-master', 'standalone-sentinel-unconfigured']),
    );
    const refused = planForFindings(blindTopology, blindFindings, planCtx('orders'));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toContain('Sentinel');

    // Told about them: the plan is one SENTINEL FAILOVER, no REPLICAOF of ours.
    const def = definition('orders', nodes, { sentinels: sentinels.addrs, sentinelMaster: 'orders' });
    const topology = await scanCluster(def, { commander, recordMetrics: false });
    expect(topology.sentinel?.masterAddr).toBe(set.master.addr);
    expect(topology.sentinel?.agreeing).toBe(3);
    const findings = analyzeTopology(topology);
    expect(findings[0]?.code).toBe('standalone-no-master');
    const outcome = planForFindings(topology, findings, planCtx('orders'));
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((s) => s.kind)).toEqual(['sentinel-failover']);
    expect(outcome.plan.steps[0]!.commands).toEqual([`${sentinels.addrs[0]} SENTINEL FAILOVER orders`]);

    const result = await executePlan(outcome.plan, executorDeps(def, commander));
    expect(result.status, result.detail).toBe('succeeded');

    // Every Sentinel names the same new master, one of the old replicas, and it is one.
    const named = await sentinels.masterAddrs();
    const promoted = set.replicas.find((r) => r.addr === named[0]);
    expect(promoted).toBeDefined();
    expect(named).toEqual([promoted!.addr, promoted!.addr, promoted!.addr]);
    expect((await replication(promoted!)).role).toBe('master');
    // Sentinel repoints the other replica; every acknowledged write is still there.
    const other = set.replicas.find((r) => r !== promoted)!;
    await waitUntil('Sentinel to repoint the other replica', async () => {
      const i = await replication(other);
      return i.master_port === String(promoted!.port) && i.master_link_status === 'up';
    });
    expect(await missingKeys(promoted!, keys)).toEqual([]);
    await waitUntil(
      'the other replica to have every key',
      async () => (await missingKeys(other, keys)).length === 0,
    );

    // Diagnosed again: no master problem, and Sentinel agrees with what the nodes say.
    const healed = analyzeTopology(await scanCluster(def, { commander, recordMetrics: false }));
    expect(healed.map((f) => f.code)).not.toContain('standalone-no-master');
    expect(
      healed.map((f) => f.code),
      JSON.stringify(healed, null, 1),
    ).not.toContain('standalone-sentinel-disagrees');
  });
});
