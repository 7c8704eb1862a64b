import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CodedError, ErrorCodes } from '../../core/errors.ts';

/**
 * Loads the Kubernetes client configuration: the file(s) named by `KUBECONFIG` when set, else the
 * pod's ServiceAccount when running in a cluster, else `~/.kube/config`.
 * Throws CONFIG_INVALID with a readable message when none of them can be read.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.trim());
    if (files.length === 1) {
      kc.loadFromFile(files[0]!);
    } else if (files.length > 1) {
      // A path list: loadFromDefault merges the files of process.env.KUBECONFIG like kubectl does.
      kc.loadFromDefault();
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CodedError(
      ErrorCodes.ConfigInvalid,
      `K8S_ENABLED: could not load a Kubernetes configuration (KUBECONFIG or in-cluster ServiceAccount): ${why}`,
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new CodedError(
      ErrorCodes.ConfigInvalid,
      'K8S_ENABLED: no Kubernetes cluster configured: set KUBECONFIG, or run inside a pod with a ServiceAccount',
    );
  }
  return kc;
}

/** Builds a KubeConfig from a kubeconfig file's text (tests, and tools that already hold the text). */
export function kubeConfigFromString(text: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return kc;
}
