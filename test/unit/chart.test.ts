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

  describe('with alertmanager.enabled', () => {
    const ALERTS = [
      '--set',
      'alertmanager.enabled=true',
      '--set-json',
      'clusters=[{"name":"payments","seeds":["10.0.0.1:6379"],"channel":"C0PAY","dashboardUrl":"https://grafana.example.com/d/redis?var-cluster={cluster}&var-node={node}","runbookUrl":"https://runbooks.example.com/redis/{cluster}"},{"name":"carts","seeds":["10.0.0.2:6379"],"channel":"C0CARTS"}]',
    ];
    type Pod = { spec: { template: { spec: { containers: { env: EnvVar[] }[] } } } };
    const secretKeysOf = (objects: K8sObject[], name: string) =>
      (
        objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as K8sObject & Pod
      ).spec.template.spec.containers[0]?.env.flatMap((e) =>
        e.valueFrom?.secretKeyRef ? [`${e.name}=${e.valueFrom.secretKeyRef.key}`] : [],
      );

    it('lints clean', () => {
      const r = run(helmBin, ['lint', '--strict', CHART, ...ALERTS]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });

    it('gives the token (a Secret key) to the bot only, and sets the cluster label', () => {
      const objects = template([
        ...ALERTS,
        '--set',
        'alertmanager.tokenKey=AM_TOKEN',
        '--set',
        'alertmanager.clusterLabel=cluster',
      ]);
      expect(secretKeysOf(objects, 'redis-medic-bot')).toContain('ALERTMANAGER_TOKEN=AM_TOKEN');
      expect(secretKeysOf(objects, 'redis-medic-worker')?.join()).not.toContain('ALERTMANAGER');
      const cm = objects.find((o) => o.metadata.name === 'redis-medic') as K8sObject & {
        data: Record<string, string>;
      };
      expect(cm.data.ALERT_CLUSTER_LABEL).toBe('cluster');
      expect(secretKeysOf(template(VALUES.example), 'redis-medic-bot')?.join()).not.toContain('ALERTMANAGER');
    });

    it("renders each cluster's link templates into the clusters file", () => {
      const file = template(ALERTS).find((o) => o.metadata.name === 'redis-medic-clusters') as K8sObject & {
        data: Record<string, string>;
      };
      const parsed = parseClustersFile(file.data['clusters.yaml'] ?? '', { env: {} });
      expect(parsed.ok && parsed.value.map((c) => [c.name, c.links])).toEqual([
        [
          'payments',
          {
            dashboardUrl: 'https://grafana.example.com/d/redis?var-cluster={cluster}&var-node={node}',
            runbookUrl: 'https://runbooks.example.com/redis/{cluster}',
          },
        ],
        ['carts', undefined],
      ]);
    });

    it.each([
      ['the monitoring namespace by default', [], 'monitoring'],
      ['alertmanager.namespace when set', ['--set', 'alertmanager.namespace=observability'], 'observability'],
    ])("admits the webhook to the bot's ops port, through its own Service, from %s", (_, extra, ns) => {
      const objects = template([...ALERTS, ...extra]);
      const np = objects.find((o) => o.metadata.name === 'redis-medic-alertmanager') as K8sObject & {
        spec: { podSelector: unknown; ingress: unknown };
      };
      expect(np.spec.podSelector).toEqual({
        matchLabels: { 'app.kubernetes.io/name': 'redis-medic', 'app.kubernetes.io/component': 'bot' },
      });
      expect(np.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }],
          ports: [{ port: 9090, protocol: 'TCP' }],
        },
      ]);
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'redis-medic-alerts') as
        | (K8sObject & { spec: { selector: Record<string, string>; ports: { port: number }[] } })
        | undefined;
      expect(svc?.spec.selector['app.kubernetes.io/component']).toBe('bot');
      expect(svc?.spec.ports.map((p) => p.port)).toEqual([9090]);
      expect(template(VALUES.example).some((o) => o.metadata.name === 'redis-medic-alertmanager')).toBe(
        false,
      );
    });

    it('refuses to render when a cluster has nowhere to post alerts', () => {
      const r = run(helmBin, [
        'template',
        'x',
        CHART,
        '--set',
        'alertmanager.enabled=true',
        '--set-json',
        'clusters=[{"name":"payments","seeds":["10.0.0.1:6379"],"channel":"C0PAY"},{"name":"carts","seeds":["10.0.0.2:6379"]}]',
      ]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('cluster carts has nowhere to post alerts');
    });
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
