/**
 * CLUSTER SETSLOT differs by server: Valkey 8+ first hands it to the master's online replicas and refuses
 * (NOREPLICAS, nothing changed) when one does not acknowledge; Redis applies it at once. This runs on
 * whichever redis-server is first on PATH (CI: Redis 7.0) and checks the behaviour that server should show.
 */
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/app/run/executor.ts';
import { setSlotWaitsForReplicas } from '../../src/core/topology/server-traits.ts';
import { parseServerInfo } from '../../src/core/topology/server-version.ts';
import { startLocalCluster, useClusterTracker } from '../support/redis-cluster.ts';
import { halfMigrated } from './open-slots-support.ts';
import { harness, missingKeys, planNow, stepKinds } from './plans-support.ts';

describe('closing an open slot while a replica of the importing master is frozen', () => {
  const tracker = useClusterTracker();

  it('Redis finishes it at once; Valkey 8+ stops naming the frozen replica, then finishes once it thaws', async () => {
    // A long node timeout: the frozen replica must stay an online replica, not be flagged failed.
    const cluster = tracker.track(
      await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 20_000 }),
    );
    const h = harness(cluster);
    try {
      const [a, b] = cluster.masters() as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
      const parsed = parseServerInfo(await cluster.cli(a, 'INFO', 'server'));
      if (!parsed.ok) throw new Error(parsed.error);
      const server = parsed.value;
      const { slot, written } = await halfMigrated(cluster, a, b, 40, 20);

      // Every scan reads each node's server and version.
      const scanned = await h.scan();
      expect(scanned.probes.filter((p) => p.outcome === 'ok').map((p) => p.server)).toEqual(
        cluster.nodes.map(() => server),
      );
      const plan = await planNow(h);
      expect(stepKinds(plan)).toEqual(['fix-slots']);
      const frozen = cluster.replicasOf(b)[0]!;
      cluster.freeze(frozen);
      const result = await executePlan(plan, h.deps);

      if (setSlotWaitsForReplicas(server)) {
        expect(result.status, result.detail).toBe('failed');
        expect(result.detail).toContain('NOREPLICAS');
        expect(result.detail).toContain(frozen.addr);
        // Nothing changed on b: it still imports the slot.
        expect(await cluster.cli(b, 'CLUSTER', 'NODES')).toContain(`[${slot}-<-${a.id}]`);
        cluster.thaw(frozen);
        const again = await executePlan(await planNow(h), h.deps);
        expect(again.status, again.detail).toBe('succeeded');
      } else {
        expect(result.status, result.detail).toBe('succeeded');
        cluster.thaw(frozen);
      }
      for (const n of cluster.masters()) {
        expect(await cluster.cli(n, 'CLUSTER', 'NODES')).not.toMatch(/\[\d+-[<>]-/);
      }
      expect(await missingKeys(cluster, written)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
