import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFromString } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { type NodeCommander, systemClock } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import { type K8sStandIn, startK8sStandIn } from '../support/k8s-stand-in.ts';
import {
  definition,
  missingKeys,
  planCtx,
  type ReplicationSet,
  replication,
  startReplicationSet,
  writeAcknowledged,
} from './standalone-support.ts';

let set: ReplicationSet | undefined;
let standIn: K8sStandIn | undefined;
let commander: NodeCommander | undefined;
afterEach(async () => {
  await commander?.close();
  await standIn?.close();
  await set?.stop();
  set = undefined;
  standIn = undefined;
  commander = undefined;
});

describe('restart <pod> of a master without persistence, on Kubernetes (Bitnami redis chart, no Sentinel)', () => {
  it('hands over to a replica, restarts the pod, and makes the emptied old master follow: no key is lost', async () => {
    set = await startReplicationSet(2);
    const s = set;
    const keysAfterRestart: number[] = [];
    const keys = await writeAcknowledged(s.master, 'order', 71, 2);
    const names = new Map([
      ['ds-redis-master-0', s.master],
      ['ds-redis-replicas-0', s.replicas[0]!],
      ['ds-redis-replicas-1', s.replicas[1]!],
    ]);
    standIn = await startK8sStandIn({
      namespace: 'redis-mr',
      redisReadiness: false,
      pods: [...names].map(([name, r]) => ({ name, ip: '127.0.0.1', port: r.port })),
      // A StatefulSet pod without a volume: the process starts again with nothing (no AOF, no RDB).
      async recreate(pod) {
        const node = names.get(pod.name)!;
        await node.restart();
        keysAfterRestart.push(Number(await node.call('DBSIZE')));
        return { ip: '127.0.0.1', port: node.port };
      },
    });
    const pods = createPodApi(kubeConfigFromString(standIn.kubeconfig), { timeoutMs: 2000 });
    commander = createNodeCommander({});
    const def = definition('mr', [s.master.addr], {
      k8s: { namespace: 'redis-mr', selector: 'app.kubernetes.io/name=redis-cluster' },
    });
    const source = createTopologySource(def, { commander, podApi: pods, recordMetrics: false });

    const topology = await source.scan();
    expect(analyzeTopology(topology).map((f) => f.code)).toContain('standalone-master-no-persistence');
    const outcome = planForAction(topology, { kind: 'restart', pod: 'ds-redis-master-0' }, planCtx('mr'));
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((st) => st.kind)).toEqual([
      'promote',
      'replicaof',
      'restart-pod',
      'replicaof',
    ]);

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
    expect(result.steps.map((st) => st.outcome)).toEqual(['done', 'done', 'done', 'done']);

    const promoteStep = outcome.plan.steps[0]!;
    const promoted = s.replicas.find((r) => 'addr' in promoteStep && r.addr === promoteStep.addr)!;
    const other = s.replicas.find((r) => r !== promoted)!;
    expect((await replication(promoted)).role).toBe('master');
    for (const follower of [other, s.master]) {
      const i = await replication(follower);
      expect([i.role, i.master_port, i.master_link_status]).toEqual(['slave', String(promoted.port), 'up']);
    }
    // The pod really came back empty, as a master: without the handover its replicas would have copied that.
    expect(keysAfterRestart).toEqual([0]);
    for (const node of [promoted, other, s.master]) expect(await missingKeys(node, keys)).toEqual([]);
  });
});
