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
});
