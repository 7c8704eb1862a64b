import { describe, expect, it } from 'vitest';
import { detectOperator } from '../../src/core/operators.ts';
import type { PodInfo } from '../../src/core/types.ts';

const pod = (extra: Partial<PodInfo>): PodInfo => ({
  name: 'redis-0',
  namespace: 'redis',
  ip: '10.0.0.1',
  phase: 'Running',
  ready: true,
  restarts: 0,
  nodeName: 'n1',
  port: 6379,
  ...extra,
});

describe('detectOperator', () => {
  it('names the custom resource that owns the StatefulSet', () => {
    const o = detectOperator([
      pod({
        owners: [
          { kind: 'StatefulSet', name: 'redis', apiVersion: 'apps/v1' },
          { kind: 'RedisFailover', name: 'orders', apiVersion: 'databases.spotahome.com/v1' },
        ],
      }),
    ]);
    expect(o?.name).toBe('RedisFailover orders (databases.spotahome.com)');
    expect(o?.evidence).toBe('StatefulSet redis of pod redis-0 is owned by RedisFailover orders');
  });

  it.each([
    [{ 'redisfailovers.databases.spotahome.com/name': 'orders' }, 'Spotahome redis-operator (RedisFailover)'],
    [{ redis_setup_type: 'cluster' }, 'OT-Container-Kit redis-operator'],
    [{ 'redis.kun/name': 'shop' }, 'ucloud redis-cluster-operator (DistributedRedisCluster)'],
    [{ 'app.kubernetes.io/managed-by': 'redis-operator' }, 'a Redis operator'],
  ])('spots an operator by the labels %o', (labels, name) => {
    expect(detectOperator([pod({ labels })])?.name).toBe(name);
  });

  it('says nothing for a chart-managed StatefulSet (Bitnami labels, no owner)', () => {
    const labels = { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'redis-cluster' };
    expect(
      detectOperator([
        pod({ labels, owners: [{ kind: 'StatefulSet', name: 'redis', apiVersion: 'apps/v1' }] }),
      ]),
    ).toBeUndefined();
    expect(detectOperator(undefined)).toBeUndefined();
  });
});
