import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeManifestInvariants } from '../support/manifest-invariants.ts';
import { canonical, renderOverlay } from '../support/render-k8s.ts';

const OVERLAYS = { socket: 'manifests/overlays/example', http: 'manifests/overlays/http' } as const;

for (const [mode, dir] of Object.entries(OVERLAYS) as [keyof typeof OVERLAYS, string][]) {
  const rendered = renderOverlay(dir);
  if (rendered.by === 'lite')
    console.warn(`manifests: kubectl is not installed; rendering ${dir} with test/support/kustomize-lite.ts`);

  describe(`the Kubernetes manifests (${dir})`, () => {
    it('render, and kubectl and the fallback renderer give the same objects', () => {
      expect(canonical(rendered.lite)).toEqual(canonical(rendered.objects));
      expect(rendered.objects.length).toBeGreaterThan(10);
    });
  });
  describeManifestInvariants(dir, rendered.objects, mode);
}

describe('the Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);

  it('builds in one stage and runs from a clean node:24-slim stage', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^node:24-slim/);
  });

  it('runs as the non-root node user (uid 1000, as the manifests say)', () => {
    const lastStage = text.slice(text.lastIndexOf('\nFROM'));
    expect(lastStage).toMatch(/^USER\s+(node|1000)\b/m);
  });

  it('pins the base image by digest in every stage', () => {
    for (const f of froms) expect(f).toMatch(/^node:24-slim@sha256:[0-9a-f]{64}$/);
  });

  it('puts the redis-medic CLI on the PATH', () => {
    expect(text).toMatch(/ln -s \/app\/bin\/redis-medic\.js \/usr\/local\/bin\/redis-medic/);
    expect(text).toMatch(/COPY .*bin\/redis-medic\.js/);
  });

  it('never fetches the node devDependency (Node 24 is the base image) and leaves the sandbox out', () => {
    for (const ci of text.match(/npm (ci|prune)[^\n]*/g) ?? []) expect(ci).toContain('--ignore-scripts');
    expect(text).not.toMatch(/npm run build/);
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { exclude?: string[] };
    expect(build.exclude).toEqual(expect.arrayContaining(['src/sandbox']));
  });
});
