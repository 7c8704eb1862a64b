/**
 * Write-up 004, part 1: AOF on, but on an emptyDir (the chart without a persistent volume). Redis says
 * `aof_enabled:1`, yet deleting the pod loses everything, and its replicas copy the empty master. With the
 * Kubernetes API stand-in (real client-node, real kubeconfig) serving the pods' volumes, the bot sees
 * which volume holds the data dir and flags such a master; its restart plan hands over first.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFromString } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { type NodeCommander, systemClock } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import {
  type K8sStandIn,
  type StandInDataVolume,
  startK8sStandIn,
  startK8sStandInForCluster,
} from '../support/k8s-stand-in.ts';
import { type LocalRedis, startRedis, withCluster } from '../support/redis-cluster.ts';
import {
  definition,
  missingKeys,
  planCtx,
  replication,
  waitUntil,
  writeAcknowledged,
} from './standalone-support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe('AOF on an emptyDir (write-up 004, part 1)', () => {
  it('plain master/replica (Bitnami redis chart): flagged although aof_enabled:1, and restart hands over first — the pod really comes back empty', async () => {
    // The master with AOF on, as the chart's default `appendonly yes`, and one replica.
    const master = await startRedis({ appendonly: true });
    cleanups.push(() => master.stop());
    const replica = await startRedis({ extraConfig: [`replicaof 127.0.0.1 ${master.port}`] });
    cleanups.push(() => replica.stop());
    await waitUntil('the replica link', async () => (await replication(replica)).master_link_status === 'up');
    const keys = await writeAcknowledged(master, 'order', 20, 1);

    const names = new Map<string, LocalRedis>([
      ['ds-redis-master-0', master],
      ['ds-redis-replicas-0', replica],
    ]);
    const keysAfterRestart: number[] = [];
    const standIn = async (dataVolume: StandInDataVolume): Promise<K8sStandIn> => {
      const s = await startK8sStandIn({
        namespace: 'redis-mr',
        redisReadiness: false,
        pods: [...names].map(([name, r]) => ({ name, ip: '127.0.0.1', port: r.port, dataVolume })),
        // A new pod gets a new emptyDir: the process starts again in a directory without its AOF.
        async recreate(pod) {
          const node = names.get(pod.name)!;
          await node.kill();
          rmSync(join(node.node.dir, 'appendonlydir'), { recursive: true, force: true });
          rmSync(join(node.node.dir, 'dump.rdb'), { force: true });
          await node.restart();
          keysAfterRestart.push(Number(await node.call('DBSIZE')));
          return { ip: '127.0.0.1', port: node.port };
        },
      });
      cleanups.push(() => s.close());
      return s;
    };
    const commander: NodeCommander = createNodeCommander({});
    cleanups.push(() => commander.close());
    const sourceFor = (s: K8sStandIn) => {
      const pods = createPodApi(kubeConfigFromString(s.kubeconfig), { timeoutMs: 2000 });
      const def = definition('mr', [master.addr], {
        k8s: { namespace: 'redis-mr', selector: 'app.kubernetes.io/name=redis-cluster' },
      });
      return { pods, source: createTopologySource(def, { commander, podApi: pods, recordMetrics: false }) };
    };

    // On a persistent volume the same AOF survives the pod: nothing to say.
    const onPvc = sourceFor(await standIn({ kind: 'persistentVolumeClaim', mountPath: '/data' }));
    const kept = await onPvc.source.scan();
    expect(kept.pods?.map((p) => [p.name, p.dataVolume, p.dataMountPath])).toEqual([
      ['ds-redis-master-0', 'persistent', '/data'],
      ['ds-redis-replicas-0', 'persistent', '/data'],
    ]);
    expect(analyzeTopology(kept).map((f) => f.code)).not.toContain('standalone-master-no-persistence');

    const { pods, source } = sourceFor(await standIn({ kind: 'emptyDir', mountPath: '/data' }));
    const topology = await source.scan();
    const masterProbe = topology.probes.find((p) => p.addr === master.addr);
    expect(masterProbe?.persistence?.aofEnabled).toBe(true);
    expect(topology.pods?.find((p) => p.name === 'ds-redis-master-0')).toMatchObject({
      dataVolume: 'emptyDir',
      dataMountPath: '/data',
    });
    const risk = analyzeTopology(topology).find((f) => f.code === 'standalone-master-no-persistence');
    expect(risk?.summary).toContain(
      `master ${master.addr} (pod ds-redis-master-0): AOF is on, but /data is an emptyDir: a pod restart empties this master and then its replicas (1 replica, 20 keys at risk)`,
    );
    expect(risk?.evidence).toContain(`${master.addr} says aof_enabled:1`);

    // `/redis restart ds-redis-master-0`: not a plain restart "that reloads its data", a handover first.
    const outcome = planForAction(topology, { kind: 'restart', pod: 'ds-redis-master-0' }, planCtx('mr'));
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((st) => st.kind)).toEqual(['promote', 'restart-pod', 'replicaof']);
    const result = await executePlan(outcome.plan, {
      source,
      commander,
      pods,
      reporter: { emit: () => {} },
      clock: systemClock,
      waitTimeoutMs: 30_000,
      pollMs: 100,
    });
    expect(result.status, result.detail).toBe('succeeded');

    // The pod came back empty although AOF was on; handed over first, nothing was lost.
    expect(keysAfterRestart).toEqual([0]);
    expect((await replication(replica)).role).toBe('master');
    await waitUntil(
      'the old master to follow',
      async () => (await replication(master)).master_link_status === 'up',
    );
    for (const node of [replica, master]) expect(await missingKeys(node, keys)).toEqual([]);
  });

  it('Redis Cluster (Bitnami redis-cluster chart): every master with AOF on an emptyDir is flagged, none on a PVC', async () => {
    await withCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }, async (cluster) => {
      for (const n of cluster.nodes)
        expect(await cluster.cli(n, 'CONFIG', 'SET', 'appendonly', 'yes')).toBe('OK');
      const scanWith = async (dataVolume: StandInDataVolume) => {
        const s = await startK8sStandInForCluster(cluster, { namespace: 'redis', dataVolume });
        cleanups.push(() => s.close());
        const podApi = createPodApi(kubeConfigFromString(s.kubeconfig), { timeoutMs: 2000 });
        const commander = createNodeCommander({}, { timeoutMs: 800 });
        cleanups.push(() => commander.close());
        const def = definition('rc', [cluster.nodes[0]!.addr], {
          k8s: { namespace: 'redis', selector: 'app.kubernetes.io/name=redis-cluster' },
        });
        return createTopologySource(def, { commander, podApi, timeoutMs: 800, recordMetrics: false }).scan();
      };

      const onPvc = await scanWith({ kind: 'persistentVolumeClaim' });
      expect(onPvc.nodes.every((n) => n.pod?.dataVolume === 'persistent')).toBe(true);
      expect(onPvc.nodes.every((n) => n.persistence?.aofEnabled)).toBe(true);
      expect(analyzeTopology(onPvc).filter((f) => f.code === 'master-no-persistence')).toEqual([]);

      const onEmptyDir = await scanWith({ kind: 'emptyDir' });
      expect(
        onEmptyDir.pods?.every(
          (p) => p.dataVolume === 'emptyDir' && p.dataMountPath === '/bitnami/redis/data',
        ),
      ).toBe(true);
      const flagged = analyzeTopology(onEmptyDir).filter((f) => f.code === 'master-no-persistence');
      expect(flagged.map((f) => f.nodes[0]).sort()).toEqual(
        cluster
          .masters()
          .map((m) => m.id)
          .sort(),
      );
      for (const f of flagged) {
        expect(f.summary).toContain(
          'AOF is on, but /bitnami/redis/data is an emptyDir: a pod restart empties this master and then its replicas',
        );
        expect(f.evidence.some((e) => / says aof_enabled:1$/.test(e))).toBe(true);
      }
    });
  });
});
