/**
 * A small renderer for the subset of kustomize our manifests use — `resources` (files and folders),
 * `images` and JSON 6902 `patches` with a `target` — so the manifest test still checks the rendered
 * objects on a machine without kubectl. When kubectl is present the test renders with both and requires
 * the same objects, which keeps this renderer honest. Anything outside the subset is refused loudly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: {
    target?: { kind?: string; name?: string; namespace?: string };
    patch?: string;
    path?: string;
  }[];
  [k: string]: unknown;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'images', 'patches']);

export function renderKustomization(dir: string): K8sObject[] {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((f) => join(dir, f))
    .find((f) => existsSync(f));
  if (!file) throw new Error(`kustomize-lite: no kustomization.yaml in ${dir}`);
  const k = parseYaml(readFileSync(file, 'utf8')) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) {
    throw new Error(
      `kustomize-lite: ${file} uses ${unsupported.join(', ')}, which this renderer does not implement`,
    );
  }
  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (statSync(p).isDirectory()) objects.push(...renderKustomization(p));
    else objects.push(...readObjects(p));
  }
  for (const img of k.images ?? []) {
    for (const o of objects) forEachContainer(o, (c) => retag(c, img));
  }
  for (const patch of k.patches ?? []) {
    if (!patch.target) throw new Error('kustomize-lite: only patches with a target are supported');
    const text = patch.patch ?? readFileSync(resolve(dir, patch.path ?? ''), 'utf8');
    const ops = parseYaml(text);
    if (!Array.isArray(ops))
      throw new Error('kustomize-lite: only JSON 6902 patches (a list of ops) are supported');
    const targets = objects.filter(
      (o) =>
        (!patch.target?.kind || o.kind === patch.target.kind) &&
        (!patch.target?.name || o.metadata.name === patch.target.name) &&
        (!patch.target?.namespace || o.metadata.namespace === patch.target.namespace),
    );
    for (const o of targets) for (const op of ops) applyOp(o, op);
  }
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new Error(`kustomize-lite: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

export function objectId(o: K8sObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`kustomize-lite: ${path}: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

function forEachContainer(o: K8sObject, f: (c: { image?: string }) => void): void {
  const spec = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) f(c);
}
type PodSpec = { containers?: { image?: string }[]; initContainers?: { image?: string }[] };

function retag(
  c: { image?: string },
  img: { name: string; newName?: string; newTag?: string; digest?: string },
) {
  if (!c.image) return;
  const m = c.image.match(/^([^@:]+(?::\d+\/[^@:]+)?)(?::([^@]+))?(?:@(.+))?$/);
  if (!m || m[1] !== img.name) return;
  const name = img.newName ?? m[1];
  if (img.digest) c.image = `${name}@${img.digest}`;
  else if (img.newTag) c.image = `${name}:${img.newTag}`;
  else c.image = `${name}${m[2] ? `:${m[2]}` : ''}${m[3] ? `@${m[3]}` : ''}`;
}

function applyOp(o: K8sObject, op: { op: string; path: string; value?: unknown }): void {
  const parts = op.path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) throw new Error(`kustomize-lite: bad patch path ${op.path}`);
  let parent: Record<string, unknown> | unknown[] = o;
  for (const p of parts) {
    const next: unknown = Array.isArray(parent) ? parent[Number(p)] : parent[p];
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new Error(`kustomize-lite: patch path ${op.path} not found in ${objectId(o)}`);
    }
    parent = next as Record<string, unknown> | unknown[];
  }
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (op.op === 'add') parent.splice(i, 0, op.value);
    else if (op.op === 'replace') parent[i] = op.value;
    else if (op.op === 'remove') parent.splice(i, 1);
    else throw new Error(`kustomize-lite: unsupported op ${op.op}`);
    return;
  }
  if (op.op === 'add') parent[last] = op.value;
  else if (op.op === 'replace') {
    if (!(last in parent)) throw new Error(`kustomize-lite: replace of missing ${op.path} in ${objectId(o)}`);
    parent[last] = op.value;
  } else if (op.op === 'remove') delete parent[last];
  else throw new Error(`kustomize-lite: unsupported op ${op.op}`);
}
