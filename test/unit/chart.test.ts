/**
 * The Helm chart (charts/redis-medic): `helm lint` and `helm template` clean with the default, example and HTTP
 * values; the same invariants as the kustomize manifests; and the same objects as the kustomize overlays for the
 * example values. Skipped only where helm is not installed and not in CI (`.ci/run` installs it).
 */
import { describe, expect, it } from 'vitest';
import { parseClustersFile } from '../../src/clusters-file.ts';
import type { K8sObject } from '../support/kustomize-lite.ts';

type EnvVar = { name: string; valueFrom?: { secretKeyRef?: { key: string } } };

import { describeManifestInvariants } from '../support/manifest-invariants.ts';
import {
  CHART_DIR as CHART,
  canonical,
  helmBin,
  helmPresence,
  renderOverlay,
  run,
  helmTemplate as template,
} from '../support/render-k8s.ts';

const VALUES = {
  default: [],
  example: ['-f', `${CHART}/ci/example-values.yaml`],
  http: ['-f', `${CHART}/ci/http-values.yaml`],
};
const helm = helmPresence();
const haveHelm = helm.have;
if (!haveHelm && !process.env.CI)
  console.warn(
    `chart: helm is not installed (${helm.why}); the chart tests are skipped. .ci/run installs it.`,
  );

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
    expect(parsed.ok && parsed.value.map((c) => [c.name, c.channels])).toEqual([
      ['payments', ['C0PAY']],
      ['sessions', undefined],
    ]);
    expect(
      objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual(['redis-payments/redis-medic-bot', 'redis-payments/redis-medic-worker']);
  });

  it('binds each cluster to its channels, all of them and the watch channel allowed, and gives workers the bot token only for user-group approvers', () => {
    const workerKeys = (objects: K8sObject[]) => {
      const w = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'redis-medic-worker') as
        | (K8sObject & { spec: { template: { spec: { containers: { env: EnvVar[] }[] } } } })
        | undefined;
      return w?.spec.template.spec.containers[0]?.env.flatMap((e) => e.valueFrom?.secretKeyRef?.key ?? []);
    };
    const objects = template([
      '--set-json',
      'clusters=[{"name":"payments","seeds":["10.0.0.1:6379"],"channel":"C0PAY","channels":["C0PAY2"]},{"name":"carts","seeds":["10.0.0.2:6379"],"approvers":["S0CARTS"]}]',
      '--set-json',
      'allowedChannels=["C0OPS"]',
      '--set',
      'watch.channel=C0WATCH',
    ]);
    const cm = objects.find((o) => o.metadata.name === 'redis-medic') as K8sObject & {
      data: Record<string, string>;
    };
    expect(cm.data.ALLOWED_CHANNELS?.split(',').sort()).toEqual(['C0OPS', 'C0PAY', 'C0PAY2', 'C0WATCH']);
    const file = objects.find((o) => o.metadata.name === 'redis-medic-clusters') as K8sObject & {
      data: Record<string, string>;
    };
    const parsed = parseClustersFile(file.data['clusters.yaml'] ?? '', { env: {} });
    expect(parsed.ok && parsed.value.map((c) => [c.name, c.channels])).toEqual([
      ['payments', ['C0PAY', 'C0PAY2']],
      ['carts', undefined],
    ]);
    expect(workerKeys(objects)).toContain('SLACK_BOT_TOKEN');
    expect(workerKeys(template(VALUES.example))).not.toContain('SLACK_BOT_TOKEN');
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
