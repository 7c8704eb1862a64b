import { afterEach, describe, expect, it } from 'vitest';
import { discoverPods } from '../../src/adapters/k8s/discover-pods.ts';
import { kubeConfigFromString, loadKubeConfig } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { CodedError } from '../../src/core/errors.ts';
import type { ClusterDefinition } from '../../src/core/ports.ts';
import { type K8sStandIn, startK8sStandIn } from '../support/k8s-stand-in.ts';

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
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = s.kubeconfigPath;
    try {
      const kc = loadKubeConfig({ KUBECONFIG: s.kubeconfigPath });
      expect(kc.getCurrentCluster()?.server).toBe(s.url);
      const pods = await createPodApi(kc).listPods('redis', 'app.kubernetes.io/name=redis-cluster');
      expect(pods.map((p) => p.name)).toEqual(['redis-cluster-0', 'redis-cluster-1']);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it('lists the pods of the selector with IP, phase, readiness, restarts, node and Redis port', async () => {
    const s = await start();
    const api = createPodApi(kubeConfigFromString(s.kubeconfig));
    const pods = await api.listPods('redis', 'app.kubernetes.io/name=redis-cluster');
    const { uid, createdAt, ...rest } = pods[0]!;
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
    expect(s.requests.at(-1)?.path).toBe(
      '/api/v1/namespaces/redis/pods?labelSelector=app.kubernetes.io%2Fname%3Dredis-cluster',
    );
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
