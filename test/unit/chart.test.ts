/**
 * The Helm chart (charts/redis-medic): `helm lint` and `helm template` clean with the default, example and HTTP
 * values; the same invariants as the kustomize manifests; and the same objects as the kustomize overlays for the
 * example values. Skipped only where helm is not installed and not in CI (`.ci/run` installs it).
 */
import { describe, expect, it } from 'vitest';
import { parseClustersFile } from '../../src/clusters-file.ts';
import type { K8sObject } from '../support/kustomize-lite.ts';
import { describeManifestInvariants } from '../support/manifest-invariants.ts';
import { canonical, helmBin, parseRendered, renderOverlay, run } from '../support/render-k8s.ts';

const CHART = 'charts/redis-medic';
const VALUES = {
  default: [],
  example: ['-f', `${CHART}/ci/example-values.yaml`],
  http: ['-f', `${CHART}/ci/http-values.yaml`],
};
const helm = run(helmBin, ['version', '--short']);
const haveHelm = !helm.missing;
if (!haveHelm && !process.env.CI)
  console.warn(
    `chart: helm is not installed (${helm.error?.message}); the chart tests are skipped. .ci/run installs it.`,
  );

function template(values: string[]): K8sObject[] {
  const r = run(helmBin, ['template', 'redis-medic', CHART, '--namespace', 'redis-medic', ...values]);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseRendered(r.stdout);
}

describe('the Helm chart', () => {
  it('has helm where CI runs', () => {
    if (process.env.CI) expect(haveHelm, 'helm must be installed in CI (.ci/run)').toBe(true);
  });
});

describe.runIf(haveHelm)('the Helm chart (charts/redis-medic)', () => {
  it.each(Object.entries(VALUES))('lints clean with the %s values', (_, values) => {
    const r = run(helmBin, ['lint', '--strict', CHART, ...values]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.each([
    ['example', 'manifests/overlays/example'],
    ['http', 'manifests/overlays/http'],
  ] as const)(
    'renders the same objects as kustomize for the %s values (the Namespace aside)',
    (name, dir) => {
      const kustomized = renderOverlay(dir).objects.filter((o) => o.kind !== 'Namespace');
      expect(canonical(template(VALUES[name]))).toEqual(canonical(kustomized));
    },
  );

  it('renders several clusters as a mounted clusters file, with a Role in each namespace', () => {
    const objects = template([
      '--set-json',
      'clusters=[{"name":"payments","namespace":"redis-payments","channel":"C0PAY"},{"name":"sessions","seeds":["10.0.0.1:6379"],"passwordKey":"SESSIONS_REDIS_PASSWORD","approvers":["U0SESS"]}]',
    ]);
    const cm = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'redis-medic',
    ) as K8sObject & {
      data: Record<string, string>;
    };
    expect(cm.data).toMatchObject({
      CLUSTERS_FILE: '/etc/redis-medic/clusters.yaml',
      ALLOWED_CHANNELS: 'C0PAY',
      APPROVERS: 'U0SESS',
    });
    const file = objects.find((o) => o.metadata.name === 'redis-medic-clusters') as K8sObject & {
      data: Record<string, string>;
    };
    const parsed = parseClustersFile(file.data['clusters.yaml'] ?? '', {
      env: { SESSIONS_REDIS_PASSWORD: 'from-the-secret' },
    });
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    expect(parsed.ok && parsed.value.map((c) => c.name)).toEqual(['payments', 'sessions']);
    expect(
      objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual(['redis-payments/redis-medic-bot', 'redis-payments/redis-medic-worker']);
  });

  it('renders a ServiceMonitor only when asked', () => {
    expect(template(VALUES.example).some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    expect(
      template(['--set', 'metrics.serviceMonitor.enabled=true']).some((o) => o.kind === 'ServiceMonitor'),
    ).toBe(true);
  });
});

if (haveHelm) {
  describeManifestInvariants('helm template (default values)', template(VALUES.default), 'socket');
  describeManifestInvariants('helm template (HTTP values)', template(VALUES.http), 'http');
}
