/**
 * The environment a container of a rendered Deployment would start with, computed as the kubelet does:
 * `envFrom` ConfigMaps first, then `env` (literal values and Secret keys) on top. A Secret key that is missing
 * and not optional is reported, as Kubernetes would (CreateContainerConfigError) instead of starting the pod.
 */
import type { K8sObject } from './kustomize-lite.ts';

type KeyRef = { name: string; key: string; optional?: boolean };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
};
type Container = { env?: EnvVar[]; envFrom?: { configMapRef?: { name: string; optional?: boolean } }[] };
type Deployment = K8sObject & { spec: { template: { spec: { containers: Container[] } } } };
type ConfigMap = K8sObject & { data?: Record<string, string> };

export interface PodEnv {
  env: Record<string, string>;
  /** Secret keys the pod needs that the Secret lacks: the pod would not start. */
  missingSecretKeys: string[];
}

/** The first container's environment of Deployment `name`, given the Secret's keys and values. */
export function podEnv(objects: K8sObject[], name: string, secret: Record<string, string>): PodEnv {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as
    | Deployment
    | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  if (!container) throw new Error(`Deployment/${name} is not rendered`);
  const configMap = (cm: string) =>
    (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cm) as ConfigMap | undefined)?.data;
  const env: Record<string, string> = {};
  const missingSecretKeys: string[] = [];
  for (const from of container.envFrom ?? []) {
    if (!from.configMapRef) continue;
    const data = configMap(from.configMapRef.name);
    if (!data && !from.configMapRef.optional)
      throw new Error(`ConfigMap/${from.configMapRef.name} is not rendered`);
    Object.assign(env, data ?? {});
  }
  for (const e of container.env ?? []) {
    const secretRef = e.valueFrom?.secretKeyRef;
    const cmRef = e.valueFrom?.configMapKeyRef;
    const value = secretRef
      ? secret[secretRef.key]
      : cmRef
        ? configMap(cmRef.name)?.[cmRef.key]
        : (e.value ?? '');
    if (value !== undefined) env[e.name] = value;
    else if (secretRef && !secretRef.optional) missingSecretKeys.push(secretRef.key);
    else if (cmRef && !cmRef.optional) throw new Error(`ConfigMap/${cmRef.name} has no key ${cmRef.key}`);
  }
  return { env, missingSecretKeys };
}
