import { asCodedError } from '../../core/errors.ts';
import type { ClusterDefinition, PodApi } from '../../core/ports.ts';
import type { PodInfo } from '../../core/types.ts';

/**
 * What pod discovery gave: the pods, or why the Kubernetes API could not be read (the scan then goes on
 * with the Redis view only), or nothing at all when the cluster has no Kubernetes selector.
 * Spread it into `scanCluster(def, { ...discovery, timeoutMs })`.
 */
export type PodDiscovery =
  | { pods: PodInfo[]; podError?: undefined }
  | { pods?: undefined; podError: string }
  | { pods?: undefined; podError?: undefined };

/** Lists the cluster's pods; never throws: an API failure comes back as `podError`. */
export async function discoverPods(
  def: ClusterDefinition,
  podApi: PodApi | undefined,
): Promise<PodDiscovery> {
  if (!def.k8s) return {};
  if (!podApi) {
    return {
      podError: `Kubernetes pod discovery is configured for cluster "${def.name}" but no Kubernetes client is available`,
    };
  }
  try {
    return { pods: await podApi.listPods(def.k8s.namespace, def.k8s.selector) };
  } catch (err) {
    return { podError: asCodedError(err).message };
  }
}

/** `ip:port` of each pod that has an IP: extra addresses for the scanner to probe. */
export function podAddrs(pods: PodInfo[]): string[] {
  return pods.filter((p) => p.ip).map((p) => `${p.ip}:${p.port}`);
}
