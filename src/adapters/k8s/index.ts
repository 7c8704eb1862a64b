export { discoverPods, type PodDiscovery, podAddrs } from './discover-pods.ts';
export { kubeConfigFromString, loadKubeConfig } from './kube-config.ts';
export { createPodApi, k8sError, type PodApiOptions, toPodInfo } from './pod-api.ts';
