/**
 * "Deployable on the first try": what the README's "Deploy to Kubernetes" makes — its Secret recipe, its
 * values file, the kustomize overlays, the chart's example values — gives the bot and the workers an
 * environment that src/config.ts accepts, in both Slack modes. Each pod's environment is computed from the
 * rendered objects as the kubelet would (ConfigMaps, then env, Secret keys from the README's recipe with
 * plausible values of the right shapes); a Secret key the pod needs and the recipe does not create fails too.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClustersFile } from '../../src/clusters-file.ts';
import { loadConfig } from '../../src/config.ts';
import type { K8sObject } from '../support/kustomize-lite.ts';
import { podEnv } from '../support/pod-env.ts';
import { CHART_DIR, helmPresence, helmTemplate, renderOverlay } from '../support/render-k8s.ts';

type Mode = 'socket' | 'http';
const README = readFileSync('README.md', 'utf8');
const deploySection = README.slice(README.indexOf('## Deploy to Kubernetes'));

/** A value of the right shape for each Secret key the README's recipe creates. */
const PLAUSIBLE: Record<string, string> = {
  SLACK_BOT_TOKEN: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx',
  SLACK_APP_TOKEN: 'xapp-1-A0123ABCDEF-1234567890-0123456789abcdef0123456789abcdef',
  SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
  CONTROL_REDIS_PASSWORD: '5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaa',
  CONTROL_REDIS_URL: 'redis://:5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaa@redis-medic-control:6379',
  APPROVAL_SECRET: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
};
const plausible = (key: string) => {
  const value = PLAUSIBLE[key] ?? (key.endsWith('PASSWORD') ? 'a-redis-password' : undefined);
  if (value === undefined)
    throw new Error(`the README's Secret recipe creates ${key}: give it a plausible value here`);
  return value;
};

/** The keys of the README's `kubectl create secret generic redis-medic` recipe (Socket Mode). */
function readmeSecretKeys(): string[] {
  const recipe = /create secret generic redis-medic[^`]*/.exec(deploySection)?.[0] ?? '';
  return [...recipe.matchAll(/--from-literal=([A-Z0-9_]+)=/g)].map((m) => m[1] ?? '');
}

/** The Secret a reader of the README creates: in HTTP mode, as it says, the signing secret instead of the app token. */
function readmeSecret(mode: Mode): Record<string, string> {
  const keys = readmeSecretKeys().map((k) =>
    mode === 'http' && k === 'SLACK_APP_TOKEN' ? 'SLACK_SIGNING_SECRET' : k,
  );
  return Object.fromEntries(keys.map((k) => [k, plausible(k)]));
}

/** The README's values file (step 5) and, for HTTP mode, the `--set` flags its HTTP paragraph adds. */
function readmeHelmArgs(mode: Mode): string[] {
  const values = /cat > my-values\.yaml <<'YAML'\n([\s\S]*?)\n\s*YAML\n/.exec(deploySection)?.[1];
  if (!values) throw new Error('README: the values file of "Deploy to Kubernetes" step 5 is not found');
  const file = join(mkdtempSync(join(tmpdir(), 'redis-medic-readme-')), 'my-values.yaml');
  const indent = /^\s*/.exec(values)?.[0].length ?? 0;
  writeFileSync(file, values.replace(new RegExp(`^ {${indent}}`, 'gm'), ''));
  const httpParagraph = /\*\*HTTP mode\*\* instead of Socket Mode[\s\S]*?\n\n/.exec(deploySection)?.[0] ?? '';
  const sets = [...httpParagraph.matchAll(/--set ([\w.]+=[^\s`]+)/g)].flatMap((m) => ['--set', m[1] ?? '']);
  if (mode === 'http' && sets.length === 0)
    throw new Error('README: the HTTP mode --set flags are not found');
  return ['-f', file, ...(mode === 'http' ? sets : [])];
}

/** Bot and workers of `objects` start: every Secret key they need exists, and loadConfig accepts their env. */
function expectBothStart(objects: K8sObject[], mode: Mode, secret = readmeSecret(mode)) {
  for (const [deployment, role] of [
    ['redis-medic-bot', 'bot'],
    ['redis-medic-worker', 'worker'],
  ] as const) {
    const { env, missingSecretKeys } = podEnv(objects, deployment, secret);
    expect(missingSecretKeys, `${deployment}: Secret keys the recipe does not create`).toEqual([]);
    expect([env.ROLE, env.SLACK_MODE], deployment).toEqual([role, mode]);
    const result = loadConfig(env);
    expect(result.ok ? [] : result.problems, `${deployment} (${mode}): config problems`).toEqual([]);
    if (env.CLUSTERS_FILE) {
      const file = objects.find((o) => o.metadata.name === 'redis-medic-clusters') as
        | (K8sObject & { data: Record<string, string> })
        | undefined;
      const parsed = parseClustersFile(file?.data['clusters.yaml'] ?? '', { env });
      expect(parsed.ok ? '' : parsed.error, `${deployment}: the mounted clusters file`).toBe('');
    }
  }
}

describe("the README's Secret recipe", () => {
  it('creates every key the bot and the workers need, APPROVAL_SECRET included, of the right shape', () => {
    expect(readmeSecretKeys()).toEqual(
      expect.arrayContaining(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'CONTROL_REDIS_URL', 'APPROVAL_SECRET']),
    );
    expect(deploySection).toMatch(/APPROVAL_SECRET="\$\(openssl rand -hex 32\)"/);
  });
});

describe('the kustomize overlays start, following the README', () => {
  it.each([
    ['manifests/overlays/example', 'socket'],
    ['manifests/overlays/http', 'http'],
  ] as const)('%s (%s mode): bot and workers pass config validation', (dir, mode) => {
    expectBothStart(renderOverlay(dir).objects, mode);
  });
});

const helm = helmPresence();
describe.runIf(helm.have || process.env.CI)('the Helm chart starts, following the README', () => {
  it.each(['socket', 'http'] as const)("with the README's values file (%s mode)", (mode) => {
    expectBothStart(helmTemplate(readmeHelmArgs(mode)), mode);
  });

  it.each([
    ['example', 'socket'],
    ['http', 'http'],
  ] as const)('with ci/%s-values.yaml (%s mode)', (name, mode) => {
    expectBothStart(helmTemplate(['-f', `${CHART_DIR}/ci/${name}-values.yaml`]), mode);
  });

  it('with several clusters bound to their channels, a password key each and a user-group approver', () => {
    const objects = helmTemplate([
      '-f',
      `${CHART_DIR}/ci/example-values.yaml`,
      '--set-json',
      'clusters=[{"name":"payments","namespace":"redis-payments","channel":"C0PAY","passwordKey":"PAYMENTS_REDIS_PASSWORD"},{"name":"carts","seeds":["10.0.0.2:6379"],"sentinels":["10.0.0.3:26379"],"sentinelMaster":"mymaster","channel":"C0CARTS","approvers":["S0CARTSOPS"]}]',
    ]);
    expectBothStart(objects, 'socket', {
      ...readmeSecret('socket'),
      PAYMENTS_REDIS_PASSWORD: plausible('PAYMENTS_REDIS_PASSWORD'),
    });
  });

  it.each([
    [
      'several clusters, each posting alerts in its own channel, with link templates',
      [
        '--set-json',
        'clusters=[{"name":"payments","seeds":["10.0.0.1:6379"],"channel":"C0PAY","dashboardUrl":"https://grafana.example.com/d/redis?var-cluster={cluster}&var-node={node}","runbookUrl":"https://runbooks.example.com/redis/{cluster}"},{"name":"carts","seeds":["10.0.0.2:6379"],"channel":"C0CARTS"}]',
      ],
    ],
    [
      'one cluster posting alerts in the watch channel, with link templates',
      [
        '--set',
        'watch.channel=C0WATCH',
        '--set',
        'clusters[0].dashboardUrl=https://grafana.example.com/d/redis?var-cluster={cluster}',
        '--set',
        'clusters[0].runbookUrl=https://runbooks.example.com/redis/{cluster}',
      ],
    ],
  ])('with Alertmanager enabled: %s', (_, args) => {
    const objects = helmTemplate([
      '-f',
      `${CHART_DIR}/ci/example-values.yaml`,
      '--set',
      'alertmanager.enabled=true',
      ...args,
    ]);
    expectBothStart(objects, 'socket', {
      ...readmeSecret('socket'),
      ALERTMANAGER_TOKEN: 'an-alertmanager-bearer-token-0123456789',
    });
  });
});
