import { Redis } from 'ioredis';
import { kubeConfigFromString } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { describePodApiConformance } from '../support/conformance/pod-api.ts';
import { startK8sStandInForCluster } from '../support/k8s-stand-in.ts';
import { startLocalCluster, useClusterTracker } from '../support/redis-cluster.ts';

const tracker = useClusterTracker();

/** PING at an address, with a short deadline. */
async function answers(ip: string, port: number): Promise<boolean> {
  const r = new Redis({ host: ip, port, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

// The Kubernetes adapter against the stand-in whose pods are real redis-server processes of a local cluster:
// deleting a pod kills its server and starts a fresh node at a new IP. The tracker stops the cluster.
describePodApiConformance('Kubernetes (API stand-in, pods of a local cluster)', async () => {
  const cluster = tracker.track(await startLocalCluster({ masters: 3, replicasPerMaster: 0 }));
  const standIn = await startK8sStandInForCluster(cluster, { redisReadiness: true });
  return {
    api: createPodApi(kubeConfigFromString(standIn.kubeconfig)),
    namespace: 'redis',
    selector: 'app.kubernetes.io/name=redis-cluster',
    pods: cluster.nodes.map((_, i) => `redis-cluster-${i}`),
    answers,
    close: () => standIn.close(),
  };
});
