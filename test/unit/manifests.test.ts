import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, objectId, renderKustomization } from '../support/kustomize-lite.ts';

const OVERLAY = 'manifests/overlays/example';
const REDIS_NAMESPACE = 'redis';
const BOT_NAMESPACE = 'redis-medic';

// KUBECTL names another binary (or a missing one, to exercise the fallback renderer).
const kubectl = spawnSync(process.env.KUBECTL ?? 'kubectl', ['kustomize', OVERLAY], {
  encoding: 'utf8',
  timeout: 60_000,
});
const haveKubectl = !kubectl.error;
if (!haveKubectl) {
  console.warn(
    `manifests: kubectl is not installed (${kubectl.error?.message}); rendering ${OVERLAY} with test/support/kustomize-lite.ts instead`,
  );
}

function parseRendered(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const lite = renderKustomization(OVERLAY);
const objects: K8sObject[] = haveKubectl ? parseRendered(kubectl.stdout) : lite;

type Container = {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
};
type PodSpec = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
};
type Workload = K8sObject & {
  spec: { replicas?: number; template: { spec: PodSpec }; volumeClaimTemplates?: unknown[] };
};

const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} is not rendered`);
  return o;
};
const workloads = objects.filter((o) =>
  ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind),
) as Workload[];
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe('the Kubernetes manifests (manifests/overlays/example)', () => {
  it('render, and kubectl and the fallback renderer give the same objects', () => {
    if (haveKubectl) {
      expect(kubectl.status, kubectl.stderr).toBe(0);
      const sort = (list: K8sObject[]) => [...list].sort((a, b) => objectId(a).localeCompare(objectId(b)));
      expect(sort(lite)).toEqual(sort(objects));
    }
    expect(objects.length).toBeGreaterThan(10);
  });

  describe('least privilege', () => {
    it('grant nothing cluster-wide', () => {
      expect(byKind('ClusterRole')).toEqual([]);
      expect(byKind('ClusterRoleBinding')).toEqual([]);
    });

    it('let the bot get, list, watch and delete pods (and get statefulsets) in the Redis namespace, and nothing else', () => {
      const roles = byKind('Role') as (K8sObject & {
        rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      })[];
      expect(roles.length).toBeGreaterThan(0);
      for (const role of roles) {
        expect(role.metadata.namespace).toBe(REDIS_NAMESPACE);
        for (const rule of role.rules) {
          // Reading a StatefulSet tells whether a Redis operator owns it (issue 19): get only.
          if (rule.apiGroups[0] === 'apps') {
            expect(rule).toEqual({ apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'] });
            continue;
          }
          expect(rule.apiGroups).toEqual(['']);
          expect(rule.resources).toEqual(['pods']);
          for (const verb of rule.verbs) expect(['get', 'list', 'watch', 'delete']).toContain(verb);
        }
      }
    });

    it('bind that role to the bot service account only', () => {
      const bindings = byKind('RoleBinding') as (K8sObject & {
        roleRef: { kind: string; name: string };
        subjects: { kind: string; name: string; namespace: string }[];
      })[];
      for (const b of bindings) {
        expect(b.metadata.namespace).toBe(REDIS_NAMESPACE);
        expect(b.roleRef.kind).toBe('Role');
        expect(b.subjects).toEqual([
          { kind: 'ServiceAccount', name: 'redis-medic', namespace: BOT_NAMESPACE },
        ]);
      }
      find('ServiceAccount', 'redis-medic');
    });

    it('give the API token only to the pods that need it', () => {
      for (const w of workloads) {
        const spec = w.spec.template.spec;
        if (spec.serviceAccountName !== 'redis-medic')
          expect(spec.automountServiceAccountToken, objectId(w)).toBe(false);
      }
    });
  });

  describe('every pod', () => {
    it.each(workloads.map((w) => [objectId(w), w] as const))(
      '%s runs non-root with a read-only root filesystem',
      (_, w) => {
        const spec = w.spec.template.spec;
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
          const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
          expect(nonRoot, `${c.name}: runAsNonRoot`).toBe(true);
          expect(uid, `${c.name}: runAsUser`).toBeGreaterThan(0);
          expect(c.securityContext?.readOnlyRootFilesystem, `${c.name}: readOnlyRootFilesystem`).toBe(true);
          expect(c.securityContext?.allowPrivilegeEscalation, `${c.name}: allowPrivilegeEscalation`).toBe(
            false,
          );
          expect(c.securityContext?.capabilities?.drop, `${c.name}: capabilities`).toEqual(['ALL']);
        }
      },
    );

    it.each(workloads.map((w) => [objectId(w), w] as const))(
      '%s has resource requests and limits',
      (_, w) => {
        for (const c of w.spec.template.spec.containers) {
          for (const kind of ['requests', 'limits'] as const) {
            expect(c.resources?.[kind]?.cpu, `${c.name}: ${kind}.cpu`).toBeTruthy();
            expect(c.resources?.[kind]?.memory, `${c.name}: ${kind}.memory`).toBeTruthy();
          }
        }
      },
    );

    it.each(workloads.map((w) => [objectId(w), w] as const))('%s uses a pinned image tag', (_, w) => {
      for (const c of w.spec.template.spec.containers)
        expect(c.image).toMatch(/:(?!latest$)[\w.-]+$|@sha256:/);
    });
  });

  describe('workloads', () => {
    it('run one bot with ROLE=bot and liveness and readiness on /healthz', () => {
      const bot = find('Deployment', 'redis-medic-bot') as Workload;
      const c = bot.spec.template.spec.containers[0]!;
      expect(bot.spec.replicas).toBe(1);
      expect(envOf(c, 'ROLE')).toBe('bot');
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(c.readinessProbe?.httpGet?.path).toBe('/healthz');
    });

    it('run two workers with ROLE=worker, kept by a PodDisruptionBudget', () => {
      const worker = find('Deployment', 'redis-medic-worker') as Workload;
      expect(worker.spec.replicas).toBe(2);
      expect(envOf(worker.spec.template.spec.containers[0]!, 'ROLE')).toBe('worker');
      const pdbs = byKind('PodDisruptionBudget') as (K8sObject & {
        spec: { minAvailable?: number; selector: { matchLabels: Record<string, string> } };
      })[];
      expect(pdbs.some((p) => p.spec.selector.matchLabels['app.kubernetes.io/component'] === 'worker')).toBe(
        true,
      );
    });

    it('run the control Redis with AOF, noeviction and a persistent volume', () => {
      const sts = find('StatefulSet', 'redis-medic-control') as Workload;
      const args = sts.spec.template.spec.containers[0]!.args!.join(' ');
      expect(args).toContain('--appendonly yes');
      expect(args).toContain('--maxmemory-policy noeviction');
      expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    });
  });

  describe('network', () => {
    it('lets bot and workers out only to the Redis pods, the control Redis, DNS and HTTPS (Slack, API server)', () => {
      const np = find('NetworkPolicy', 'redis-medic-app') as K8sObject & {
        spec: {
          policyTypes: string[];
          egress: {
            to?: { namespaceSelector?: { matchLabels: Record<string, string> } }[];
            ports: { port: number }[];
          }[];
        };
      };
      expect(np.spec.policyTypes).toContain('Egress');
      const ports = np.spec.egress.flatMap((r) => r.ports.map((p) => p.port));
      expect(new Set(ports)).toEqual(new Set([6379, 53, 443, 6443]));
      const redisRule = np.spec.egress.find((r) =>
        r.to?.some(
          (t) => t.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === REDIS_NAMESPACE,
        ),
      );
      expect(redisRule?.ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
      // Rules without a destination are limited to HTTPS.
      for (const r of np.spec.egress.filter((x) => !x.to)) {
        for (const p of r.ports) expect([443, 6443]).toContain(p.port);
      }
    });
  });

  describe('secrets', () => {
    it('hold placeholders only', () => {
      for (const s of byKind('Secret') as (K8sObject & {
        stringData?: Record<string, string>;
        data?: Record<string, string>;
      })[]) {
        const values = [
          ...Object.values(s.stringData ?? {}),
          ...Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
        ];
        for (const v of values) expect(v).toContain('CHANGE-ME');
      }
    });

    it('are not in the ConfigMap either', () => {
      const cm = find('ConfigMap', 'redis-medic') as K8sObject & { data: Record<string, string> };
      for (const key of Object.keys(cm.data)) expect(key).not.toMatch(/PASSWORD|TOKEN|SECRET/);
    });
  });
});

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
