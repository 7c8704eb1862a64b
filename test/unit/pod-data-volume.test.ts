/**
 * Write-up 004, part 1: AOF on, but on an emptyDir (the chart without a persistent volume). Redis says
 * `aof_enabled:1`, yet deleting the pod loses everything. The pod spec tells which volume holds the data
 * dir; the analyzers flag a master whose data lives on an emptyDir, and restart plans treat it like a
 * master without persistence.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toPodInfo } from '../../src/adapters/k8s/pod-api.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { analyzeStandalone } from '../../src/core/standalone/analyze.ts';
import { analyzeTopology, buildTopology, parseClusterNodes } from '../../src/core/topology/index.ts';
import type { Finding, PersistenceInfo, PodInfo } from '../../src/core/types.ts';
import { addrOf, ctx as clusterCtx, id, node, THIRDS, topology } from './plans/topology-builder.ts';
import { ctx, masterProbe, pod, replicaProbe, standalone } from './standalone-helpers.ts';
import { probesFromListing } from './topology/helpers.ts';

/** A Bitnami-like pod: the Redis container, a metrics sidecar, and the volumes given. */
function k8sPod(opts: {
  mounts?: { name: string; mountPath: string }[];
  volumes?: NonNullable<V1Pod['spec']>['volumes'];
}): V1Pod {
  return {
    metadata: { name: 'redis-cluster-0', namespace: 'redis' },
    spec: {
      containers: [
        { name: 'metrics', ports: [{ name: 'http-metrics', containerPort: 9121 }] },
        {
          name: 'redis-cluster',
          ports: [
            { name: 'tcp-redis', containerPort: 6379 },
            { name: 'tcp-redis-bus', containerPort: 16379 },
          ],
          ...(opts.mounts ? { volumeMounts: opts.mounts } : {}),
        },
      ],
      ...(opts.volumes ? { volumes: opts.volumes } : {}),
    },
    status: { phase: 'Running', podIP: '10.0.0.3' },
  };
}

const token = { name: 'kube-api-access', projected: { sources: [] } };
const tokenMount = { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };

describe('toPodInfo: which volume holds the Redis data dir', () => {
  it('a volumeClaimTemplate at /bitnami/redis/data (redis-cluster chart, persistence on) is persistent', () => {
    const info = toPodInfo(
      k8sPod({
        mounts: [tokenMount, { name: 'redis-data', mountPath: '/bitnami/redis/data' }],
        volumes: [
          token,
          { name: 'redis-data', persistentVolumeClaim: { claimName: 'redis-data-redis-cluster-0' } },
        ],
      }),
    );
    expect(info).toMatchObject({ dataVolume: 'persistent', dataMountPath: '/bitnami/redis/data' });
  });

  it('an emptyDir at /data (the redis chart with persistence off, write-up 004) is an emptyDir', () => {
    const info = toPodInfo(
      k8sPod({
        mounts: [{ name: 'redis-data', mountPath: '/data' }, tokenMount],
        volumes: [{ name: 'redis-data', emptyDir: {} }, token],
      }),
    );
    expect(info).toMatchObject({ dataVolume: 'emptyDir', dataMountPath: '/data' });
  });

  it('takes the closest mount covering the data dir, and prefers Bitnami’s path', () => {
    const info = toPodInfo(
      k8sPod({
        mounts: [
          { name: 'scratch', mountPath: '/data' },
          { name: 'bitnami', mountPath: '/bitnami' },
          { name: 'redis', mountPath: '/bitnami/redis/' },
        ],
        volumes: [
          { name: 'scratch', persistentVolumeClaim: { claimName: 'x' } },
          { name: 'bitnami', persistentVolumeClaim: { claimName: 'y' } },
          { name: 'redis', emptyDir: { medium: 'Memory' } },
        ],
      }),
    );
    expect(info).toMatchObject({ dataVolume: 'emptyDir', dataMountPath: '/bitnami/redis/' });
  });

  it('says none when nothing is mounted at the data dir, unknown for other kinds of volume', () => {
    expect(toPodInfo(k8sPod({ mounts: [tokenMount], volumes: [token] })).dataVolume).toBe('none');
    const host = toPodInfo(
      k8sPod({
        mounts: [{ name: 'host', mountPath: '/data' }],
        volumes: [{ name: 'host', hostPath: { path: '/var/redis' } }],
      }),
    );
    expect(host).toMatchObject({ dataVolume: 'unknown', dataMountPath: '/data' });
  });

  it('leaves it out when the pod spec names no volume at all', () => {
    const info = toPodInfo(k8sPod({}));
    expect(info.dataVolume).toBeUndefined();
    expect('dataMountPath' in info).toBe(false);
  });
});

const M1 = '1111111111111111111111111111111111111111';
const M2 = '2222222222222222222222222222222222222222';
const R1 = '3333333333333333333333333333333333333333';
const R2 = '4444444444444444444444444444444444444444';
const parsed = parseClusterNodes(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 slave ${M2} 0 0 2 connected
`);
if (!parsed.ok) throw new Error(parsed.error);
const listing = parsed.value;

function persistence(over: Partial<PersistenceInfo>): PersistenceInfo {
  return {
    aofEnabled: true,
    loading: false,
    rdbChangesSinceLastSave: 0,
    rdbLastBgsaveStatus: 'ok',
    aofLastWriteStatus: 'ok',
    saveConfig: '',
    ...over,
  };
}

function clusterPod(i: number, data?: Pick<PodInfo, 'dataVolume' | 'dataMountPath'>): PodInfo {
  return {
    name: `redis-cluster-${i}`,
    namespace: 'redis',
    ip: '127.0.0.1',
    phase: 'Running',
    ready: true,
    restarts: 0,
    nodeName: `k8s-${i}`,
    port: 7001 + i,
    ...data,
  };
}

/** Every node with AOF on, every pod with its data dir on the given volume. */
function clusterFindings(
  data: Pick<PodInfo, 'dataVolume' | 'dataMountPath'> | undefined,
  over: Record<string, Partial<PersistenceInfo>> = {},
): Finding[] {
  const extra = Object.fromEntries(
    listing.map((v) => [v.addr!, { persistence: persistence(over[v.addr!] ?? {}) }]),
  );
  const pods = [0, 1, 2, 3].map((i) => clusterPod(i, data));
  return analyzeTopology(buildTopology('test', probesFromListing(listing, { extra }), { takenAt: 1, pods }));
}

const onEmptyDir = { dataVolume: 'emptyDir', dataMountPath: '/bitnami/redis/data' } as const;

describe('cluster analyzer: a master whose AOF sits on an emptyDir', () => {
  it('is flagged master-no-persistence, although Redis says aof_enabled:1', () => {
    const f = clusterFindings(onEmptyDir).filter((x) => x.code === 'master-no-persistence');
    expect(f.map((x) => x.nodes)).toEqual([
      [M1, R1],
      [M2, R2],
    ]);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.summary).toBe(
      `master 127.0.0.1:7001 (11111111) [pod redis-cluster-0]: AOF is on, but /bitnami/redis/data is an emptyDir: a pod restart empties this master and then its replicas — fail over to a replica first, and give the pods a persistent volume (the chart's persistence.enabled=true)`,
    );
    expect(f[0]!.evidence).toEqual([
      '127.0.0.1:7001 says aof_enabled:1',
      '127.0.0.1:7001 says save ""',
      'pod redis-cluster-0 mounts an emptyDir at /bitnami/redis/data: it is emptied when the pod is deleted or rescheduled',
      '1 replica(s) follow it',
    ]);
  });

  it('names RDB snapshots when those are what sits on the emptyDir', () => {
    const f = clusterFindings(onEmptyDir, {
      '127.0.0.1:7001': { aofEnabled: false, saveConfig: '3600 1' },
    }).find((x) => x.code === 'master-no-persistence' && x.nodes[0] === M1);
    expect(f?.summary).toContain(
      'RDB snapshots are on (save "3600 1"), but /bitnami/redis/data is an emptyDir',
    );
  });

  it('keeps the plain no-persistence wording when AOF is off too, with the emptyDir as evidence', () => {
    const f = clusterFindings(onEmptyDir, {
      '127.0.0.1:7001': { aofEnabled: false, saveConfig: '' },
    }).find((x) => x.code === 'master-no-persistence' && x.nodes[0] === M1);
    expect(f?.summary).toContain('has no persistence: a restart of this master empties every replica');
    expect(f?.evidence).toContain(
      'pod redis-cluster-0 mounts an emptyDir at /bitnami/redis/data: it is emptied when the pod is deleted or rescheduled',
    );
  });

  it('says nothing for a persistent volume, an unknown volume, or no volume information', () => {
    for (const data of [
      { dataVolume: 'persistent', dataMountPath: '/bitnami/redis/data' } as const,
      { dataVolume: 'unknown', dataMountPath: '/data' } as const,
      undefined,
    ]) {
      expect(clusterFindings(data).filter((x) => x.code === 'master-no-persistence')).toEqual([]);
    }
  });
});

describe('standalone analyzer: a master whose AOF sits on an emptyDir (the redis chart, write-up 004)', () => {
  const M = '10.0.0.1:6379';
  const R = '10.0.0.2:6379';
  const withVolume = (dataVolume: PodInfo['dataVolume']) =>
    standalone(
      [
        masterProbe({ addr: M, replicas: [{ addr: R }], aof: true, keys: 3 }),
        replicaProbe({ addr: R, follows: M }),
      ],
      {
        pods: [
          { ...pod('ds-redis-master-0', '10.0.0.1'), dataVolume, dataMountPath: '/data' },
          { ...pod('ds-redis-replicas-0', '10.0.0.2'), dataVolume, dataMountPath: '/data' },
        ],
      },
    );

  it('is flagged, naming the emptyDir and the keys at risk', () => {
    const [f, ...rest] = analyzeStandalone(withVolume('emptyDir'));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'standalone-master-no-persistence', severity: 'warning', addrs: [M, R] });
    expect(f!.summary).toBe(
      `master ${M} (pod ds-redis-master-0): AOF is on, but /data is an emptyDir: a pod restart empties this master and then its replicas (1 replica, 3 keys at risk). Promote a replica before restarting it, and give the pod a persistent volume (the chart's master.persistence.enabled=true)`,
    );
    expect(f!.evidence).toContain(`${M} says aof_enabled:1`);
    expect(f!.evidence).toContain(
      'pod ds-redis-master-0 mounts an emptyDir at /data: it is emptied when the pod is deleted or rescheduled',
    );
  });

  it('is not flagged on a persistent volume (the write-up’s second install)', () => {
    expect(analyzeStandalone(withVolume('persistent'))).toEqual([]);
  });

  it('restart <master pod> hands over first instead of restarting it as if it reloaded its data', () => {
    const out = planForAction(withVolume('emptyDir'), { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    if (!out.ok) throw new Error(out.reason);
    expect(out.plan.steps.map((s) => s.kind)).toEqual(['promote', 'restart-pod', 'replicaof']);
    expect(out.plan.title).toContain('(data on an emptyDir)');
    // On a persistent volume it reloads its data: a plain restart, as before.
    const kept = planForAction(withVolume('persistent'), { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    expect(kept.ok && kept.plan.steps.map((s) => s.kind)).toEqual(['restart-pod']);
  });

  it('restart <master pod> is refused when the master has no replica to hand over to', () => {
    const t = standalone([masterProbe({ addr: M, aof: true, keys: 71 })], {
      pods: [{ ...pod('ds-redis-master-0', '10.0.0.1'), dataVolume: 'emptyDir', dataMountPath: '/data' }],
    });
    const out = planForAction(t, { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    expect(out).toMatchObject({ ok: false, code: 'PLAN_REFUSED' });
    if (!out.ok) expect(out.reason).toContain('keeps its data on an emptyDir (/data) and has no replica');
  });
});

describe('cluster restart <pod> of a master without replica whose data is on an emptyDir', () => {
  it('is refused, AOF or not', () => {
    const master = node({ id: id('a'), port: 7001, slots: THIRDS[0], k8sNode: 'k1' });
    master.pod = { ...master.pod!, dataVolume: 'emptyDir', dataMountPath: '/bitnami/redis/data' };
    const others = [
      node({ id: id('b'), port: 7002, slots: THIRDS[1], k8sNode: 'k2' }),
      node({ id: id('c'), port: 7003, slots: THIRDS[2], k8sNode: 'k3' }),
    ];
    const out = planForAction(
      topology([master, ...others]),
      { kind: 'restart', pod: 'redis-7001' },
      clusterCtx,
    );
    expect(out).toMatchObject({ ok: false, code: 'PLAN_REFUSED' });
    if (!out.ok)
      expect(out.reason).toMatch(
        new RegExp(
          `${addrOf(7001)}.* keeps its data on an emptyDir \\(/bitnami/redis/data\\) and has no replica`,
        ),
      );
  });
});
