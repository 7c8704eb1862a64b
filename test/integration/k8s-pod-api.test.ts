import { afterEach, describe, expect, it } from 'vitest';
import { discoverPods } from '../../src/adapters/k8s/discover-pods.ts';
import { kubeConfigFromString, loadKubeConfig } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi, toPodInfo } from '../../src/adapters/k8s/pod-api.ts';
import { CodedError } from '../../src/core/errors.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { type K8sStandIn, parseSelector, startK8sStandIn } from '../support/k8s-stand-in.ts';

const podSpecs = [
  { name: 'redis-cluster-0', ip: '127.0.0.20', port: 6379, nodeName: 'worker-a' },
  { name: 'redis-cluster-1', ip: '127.0.0.21', port: 6379, nodeName: 'worker-b' },
  { name: 'other-0', ip: '127.0.0.22', port: 6380, labels: { 'app.kubernetes.io/name': 'other' } },
];

const def: ClusterDefinition = {
  name: 'main',
  seeds: [],
  auth: {},
  k8s: { namespace: 'redis', selector: 'app.kubernetes.io/name=redis-cluster' },
};

describe('the Kubernetes pod API over @kubernetes/client-node', () => {
  let standIn: K8sStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  async function start(recreate?: Parameters<typeof startK8sStandIn>[0]['recreate']) {
    standIn = await startK8sStandIn({
      pods: podSpecs,
      redisReadiness: false,
      ...(recreate ? { recreate } : {}),
    });
    return standIn;
  }

  it('loads the kubeconfig named by KUBECONFIG', async () => {
    const s = await start();
    const kc = loadKubeConfig({ KUBECONFIG: s.kubeconfigPath });
    expect(kc.getCurrentCluster()?.server).toBe(s.url);
    const pods = await createPodApi(kc).listPods('redis', 'app.kubernetes.io/name=redis-cluster');
    expect(pods.map((p) => p.name)).toEqual(['redis-cluster-0', 'redis-cluster-1']);
  });

  it('says which kubeconfig it could not read', () => {
    expect(() => loadKubeConfig({ KUBECONFIG: '/nonexistent/kubeconfig' })).toThrow(
      /^K8S_ENABLED: could not load a Kubernetes configuration .*\/nonexistent\/kubeconfig/,
    );
  });

  it('lists the pods of the selector with IP, phase, readiness, restarts, node and Redis port', async () => {
    const s = await start();
    const api = createPodApi(kubeConfigFromString(s.kubeconfig));
    const pods = await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster');
    const { uid, createdAt, labels, owners, ...rest } = pods[0]!;
    expect(rest).toEqual({
      name: 'redis-cluster-0',
      namespace: 'redis',
      ip: '127.0.0.20',
      phase: 'Running',
      ready: true,
      restarts: 0,
      nodeName: 'worker-a',
      port: 6379,
    });
    expect(uid).toBe(s.pod('redis-cluster-0')?.uid);
    expect(Math.abs((createdAt ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(labels?.['app.kubernetes.io/name']).toBe('redis-cluster');
    // Its StatefulSet, read to see whether an operator owns it (here: nobody, as with a chart).
    expect(owners).toEqual([{ kind: 'StatefulSet', name: 'redis-cluster', apiVersion: 'apps/v1' }]);
    expect(s.requests.map((r) => r.path)).toEqual([
      '/api/v1/namespaces/redis/pods?labelSelector=app.kubernetes.io%2Fname%3Dredis-cluster',
      '/apis/apps/v1/namespaces/redis/statefulsets/redis-cluster',
    ]);
    expect(await api.listPods('elsewhere', 'app.kubernetes.io/name=redis-cluster')).toEqual([]);
  });

  it('deletes a pod, which comes back under the same name after being Pending without an IP', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const s = await start(async (pod) => {
      await gate;
      return { ip: '127.0.0.23', port: pod.port };
    });
    const api = createPodApi(kubeConfigFromString(s.kubeconfig));
    const oldUid = s.pod('redis-cluster-1')!.uid;
    await api.deletePod('redis', 'redis-cluster-1');
    await expect.poll(() => s.pod('redis-cluster-1')?.phase).toBe('Pending');
    const pending = (await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster'))[1]!;
    expect(pending).toMatchObject({ name: 'redis-cluster-1', ip: null, phase: 'Pending', ready: false });
    expect(pending.notReadyReason).toContain('ContainerCreating');
    release();
    const before = pending.uid;
    expect(before).not.toBe(oldUid);
    await s.waitForRunning('redis-cluster-1');
    const back = (await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster'))[1]!;
    expect(back).toMatchObject({ name: 'redis-cluster-1', ip: '127.0.0.23', phase: 'Running', ready: true });
    expect(back.uid).toBe(before);
    expect(await api.getPod('redis', 'redis-cluster-1')).toEqual(back);
    expect(await api.getPod('redis', 'redis-cluster-9')).toBeNull();
  });

  it('says which pod was not found on a 404', async () => {
    const s = await start();
    const api = createPodApi(kubeConfigFromString(s.kubeconfig));
    const err = await api.deletePod('redis', 'redis-cluster-9').catch((e) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect(err.code).toBe('K8S_ERROR');
    expect(err.details.status).toBe(404);
    expect(err.message).toContain('pods "redis-cluster-9" not found');
  });

  it('turns a 403 into a K8S_ERROR naming the missing permission', async () => {
    const s = await start();
    s.setMode('forbidden');
    const api = createPodApi(kubeConfigFromString(s.kubeconfig));
    const err = await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster').catch((e) => e);
    expect(err.code).toBe('K8S_ERROR');
    expect(err.message).toMatch(/^Kubernetes API refused to list pods in namespace "redis".*403 Forbidden/);
    expect(err.message).toContain('cannot list resource "pods"');
    expect(err.details).toMatchObject({ status: 403, transient: false });
  });

  it('gives up on an API server that does not answer, within the request timeout', async () => {
    const s = await start();
    s.setMode('hang');
    const api = createPodApi(kubeConfigFromString(s.kubeconfig), { timeoutMs: 300 });
    const t0 = Date.now();
    const err = await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster').catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('K8S_ERROR');
    expect(err.message).toContain('did not answer within 300 ms');
    expect(err.details).toMatchObject({ timeout: true, transient: true });
  });

  it('says so when the API server cannot be reached', async () => {
    const s = await start();
    const kubeconfig = s.kubeconfig;
    await s.close();
    standIn = undefined;
    const err = await createPodApi(kubeConfigFromString(kubeconfig))
      .listPods('redis', 'x=y')
      .catch((e) => e);
    expect(err.code).toBe('K8S_ERROR');
    expect(err.message).toMatch(/could not reach the Kubernetes API .*ECONNREFUSED/);
  });

  describe('discoverPods', () => {
    it('returns the pods of the cluster definition', async () => {
      const s = await start();
      const found = await discoverPods(def, createPodApi(kubeConfigFromString(s.kubeconfig)));
      expect(found.pods?.map((p) => p.name)).toEqual(['redis-cluster-0', 'redis-cluster-1']);
    });

    it('returns the error as podError instead of throwing, so the scan goes on', async () => {
      const s = await start();
      s.setMode('forbidden');
      const found = await discoverPods(def, createPodApi(kubeConfigFromString(s.kubeconfig)));
      expect(found.pods).toBeUndefined();
      expect(found.podError).toContain('403 Forbidden');
    });

    it('returns nothing for a cluster without a Kubernetes selector', async () => {
      expect(await discoverPods({ ...def, k8s: undefined }, undefined)).toEqual({});
    });
  });
});

describe('toPodInfo', () => {
  const base = {
    metadata: { name: 'redis-cluster-3', namespace: 'redis', uid: 'u1', creationTimestamp: new Date(1000) },
    spec: {
      nodeName: 'worker-c',
      containers: [
        {
          name: 'redis-cluster',
          ports: [
            { name: 'tcp-redis-bus', containerPort: 16380 },
            { name: 'tcp-redis', containerPort: 6380 },
          ],
        },
        { name: 'metrics', ports: [{ name: 'http-metrics', containerPort: 9121 }] },
      ],
    },
  };

  it('takes the Redis port from the container port named like redis, not the bus or metrics', () => {
    expect(toPodInfo({ ...base, status: { phase: 'Running', podIP: '10.0.0.3' } })).toMatchObject({
      ip: '10.0.0.3',
      port: 6380,
      nodeName: 'worker-c',
      uid: 'u1',
      createdAt: 1000,
    });
  });

  it('sums the restarts of every container and says why a crashing pod is not ready', () => {
    const pod = toPodInfo({
      ...base,
      status: {
        phase: 'Running',
        podIP: '10.0.0.3',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
        containerStatuses: [
          {
            name: 'redis-cluster',
            restartCount: 4,
            ready: false,
            image: '',
            imageID: '',
            state: {
              waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
            },
          },
          { name: 'metrics', restartCount: 1, ready: true, image: '', imageID: '', state: { running: {} } },
        ],
      },
    });
    expect(pod).toMatchObject({ ready: false, restarts: 5 });
    expect(pod.notReadyReason).toBe(
      'redis-cluster: CrashLoopBackOff (back-off 40s restarting failed container)',
    );
  });

  it('uses the Ready condition when the containers run but the readiness probe fails', () => {
    const pod = toPodInfo({
      ...base,
      status: {
        phase: 'Running',
        podIP: '10.0.0.3',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: 'containers with unready status: [redis-cluster]',
          },
        ],
      },
    });
    expect(pod.notReadyReason).toBe('ContainersNotReady: containers with unready status: [redis-cluster]');
  });

  it('shows a pod being deleted as Terminating', () => {
    const pod = toPodInfo({
      ...base,
      metadata: { ...base.metadata, deletionTimestamp: new Date() },
      status: { phase: 'Running', podIP: '10.0.0.3', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(pod.phase).toBe('Terminating');
  });

  it('defaults to 6379 without container ports, and has no IP before scheduling', () => {
    const pod = toPodInfo({
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Pending' },
    });
    expect(pod).toMatchObject({
      port: 6379,
      ip: null,
      nodeName: null,
      ready: false,
      notReadyReason: 'phase Pending',
    });
  });
});

describe('the stand-in label selectors', () => {
  const labels = { app: 'redis', tier: 'cache', 'app.kubernetes.io/name': 'redis-cluster' };
  it.each([
    ['app=redis', true],
    ['app==redis,tier=cache', true],
    ['app!=redis', false],
    ['tier in (cache, db)', true],
    ['tier notin (cache)', false],
    ['missing notin (x)', true],
    ['app.kubernetes.io/name', true],
    ['!app.kubernetes.io/name', false],
    ['', true],
  ])('%s matches: %s', (selector, expected) => {
    const parsed = parseSelector(selector);
    expect(parsed.ok && parsed.test(labels)).toBe(expected);
  });

  it('refuses garbage like the API server (400)', () => {
    expect(parseSelector('app=(')).toEqual({ ok: false, error: '"app=("' });
  });
});
