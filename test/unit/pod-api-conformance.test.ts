import { kubeConfigFromString } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { describePodApiConformance } from '../support/conformance/pod-api.ts';
import { startK8sStandIn } from '../support/k8s-stand-in.ts';

// The Kubernetes adapter against the API stand-in, pods without processes behind them (no redis-server).
describePodApiConformance('Kubernetes (API stand-in, pods without processes)', async () => {
  let nextHost = 40;
  const standIn = await startK8sStandIn({
    pods: [
      { name: 'redis-cluster-0', ip: '127.0.0.20', port: 6379 },
      { name: 'redis-cluster-1', ip: '127.0.0.21', port: 6379 },
      { name: 'other-0', ip: '127.0.0.22', port: 6380, labels: { 'app.kubernetes.io/name': 'other' } },
    ],
    redisReadiness: false,
    terminatingMs: 20,
    recreate: async (pod) => ({ ip: `127.0.0.${nextHost++}`, port: pod.port }),
  });
  return {
    api: createPodApi(kubeConfigFromString(standIn.kubeconfig)),
    namespace: 'redis',
    selector: 'app.kubernetes.io/name=redis-cluster',
    pods: ['redis-cluster-0', 'redis-cluster-1'],
    outsider: 'other-0',
    recreateTimeoutMs: 5000,
    close: () => standIn.close(),
  };
});
