/**
 * What every rendering of redis-medic for Kubernetes must hold, whoever renders it (kustomize, kubectl, Helm):
 * least privilege, probes that survive a control-Redis blip, limits, non-root, read-only root filesystem, only
 * the Secret keys each workload uses, and the network rules of issue 17. Used by manifests.test.ts and
 * chart.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { POD_NODE_OPTIONS } from '../../bench/pod-limits.ts';
import { type K8sObject, objectId } from './kustomize-lite.ts';

export const APP_NAMESPACE = 'redis-medic';
export const REDIS_NAMESPACE = 'redis';

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } };
type Probe = { httpGet?: { path: string; port: string | number } };
type Container = {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: { secretRef?: unknown; configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: unknown };
};
type PodSpec = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
};
export type Workload = K8sObject & {
  spec: { replicas?: number; template: { spec: PodSpec }; volumeClaimTemplates?: unknown[] };
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
type NetPeer = {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
};
type NetRule = { from?: NetPeer[]; to?: NetPeer[]; ports: { port: number }[] };
type NetPolicy = K8sObject & { spec: { policyTypes: string[]; ingress?: NetRule[]; egress?: NetRule[] } };

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
/** The Secret keys each role may read. */
const SECRET_KEYS = {
  socket: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'CONTROL_REDIS_URL', 'REDIS_PASSWORD', 'APPROVAL_SECRET'],
  http: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'CONTROL_REDIS_URL', 'REDIS_PASSWORD', 'APPROVAL_SECRET'],
  worker: ['CONTROL_REDIS_URL', 'REDIS_PASSWORD', 'APPROVAL_SECRET'],
};

const mib = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

/** Registers the invariant tests for one rendering. */
export function describeManifestInvariants(
  label: string,
  objects: K8sObject[],
  mode: 'socket' | 'http',
): void {
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const find = <T extends K8sObject>(kind: string, name: string): T => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`${kind}/${name} is not rendered`);
    return o as T;
  };
  const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)) as Workload[];
  const container = (name: string) => find<Workload>('Deployment', name).spec.template.spec.containers[0]!;
  const secretKeys = (c: Container) =>
    (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.key] : []));
  const opsPort = (c: Container) => c.ports?.find((p) => p.name === 'ops')?.containerPort;

  describe(`${label}: least privilege`, () => {
    it('grants nothing cluster-wide', () => {
      expect(byKind('ClusterRole')).toEqual([]);
      expect(byKind('ClusterRoleBinding')).toEqual([]);
    });

    it('lets the bot get and list pods and get StatefulSets (operator detection), the workers get, list and delete pods, in the Redis namespace only, never watch', () => {
      const rules = (name: string) => find<K8sObject & { rules: Rule[] }>('Role', name).rules;
      expect(rules('redis-medic-bot')).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'] },
      ]);
      expect(rules('redis-medic-worker')).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] },
      ]);
      for (const role of byKind('Role')) expect(role.metadata.namespace).toBe(REDIS_NAMESPACE);
    });

    it('binds each role to its own ServiceAccount, which its workload uses', () => {
      for (const b of byKind('RoleBinding') as (K8sObject & {
        roleRef: { name: string };
        subjects: { kind: string; name: string; namespace: string }[];
      })[]) {
        expect(b.subjects).toEqual([
          { kind: 'ServiceAccount', name: b.roleRef.name, namespace: APP_NAMESPACE },
        ]);
        find('ServiceAccount', b.roleRef.name);
      }
      expect(find<Workload>('Deployment', 'redis-medic-bot').spec.template.spec.serviceAccountName).toBe(
        'redis-medic-bot',
      );
      expect(find<Workload>('Deployment', 'redis-medic-worker').spec.template.spec.serviceAccountName).toBe(
        'redis-medic-worker',
      );
    });

    it('gives the API token only to the pods that need it', () => {
      for (const w of workloads) {
        const spec = w.spec.template.spec;
        if (!spec.serviceAccountName?.startsWith('redis-medic-'))
          expect(spec.automountServiceAccountToken, objectId(w)).toBe(false);
      }
    });

    it(`gives each workload only the Secret keys it uses (${mode} mode)`, () => {
      for (const w of workloads)
        for (const c of w.spec.template.spec.containers)
          expect(c.envFrom?.filter((e) => e.secretRef) ?? [], `${objectId(w)}: envFrom secretRef`).toEqual(
            [],
          );
      expect(secretKeys(container('redis-medic-bot'))).toEqual(SECRET_KEYS[mode]);
      expect(secretKeys(container('redis-medic-worker'))).toEqual(SECRET_KEYS.worker);
    });
  });

  describe(`${label}: every pod`, () => {
    it.each(workloads.map((w) => [objectId(w), w] as const))(
      '%s runs non-root with a read-only root filesystem',
      (_, w) => {
        const spec = w.spec.template.spec;
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          expect(c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, c.name).toBe(true);
          expect(c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser, c.name).toBeGreaterThan(0);
          expect(c.securityContext?.readOnlyRootFilesystem, c.name).toBe(true);
          expect(c.securityContext?.allowPrivilegeEscalation, c.name).toBe(false);
          expect(c.securityContext?.capabilities?.drop, c.name).toEqual(['ALL']);
        }
      },
    );

    it.each(workloads.map((w) => [objectId(w), w] as const))(
      '%s has requests, limits, a pinned image',
      (_, w) => {
        for (const c of w.spec.template.spec.containers) {
          for (const kind of ['requests', 'limits'] as const) {
            expect(c.resources?.[kind]?.cpu, `${c.name}: ${kind}.cpu`).toBeTruthy();
            expect(c.resources?.[kind]?.memory, `${c.name}: ${kind}.memory`).toBeTruthy();
          }
          expect(c.image).toMatch(/:(?!latest$)[\w.-]+$|@sha256:/);
        }
      },
    );
  });

  describe(`${label}: bot and workers`, () => {
    it.each(['redis-medic-bot', 'redis-medic-worker'])(
      '%s: liveness on /livez, readiness on /readyz, both on the ops port; preStop; a heap ceiling under the limit',
      (name) => {
        const c = container(name);
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'ops' });
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops' });
        expect(opsPort(c)).toBeGreaterThan(0);
        expect(c.lifecycle?.preStop).toBeTruthy();
        const nodeOptions = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
        expect(nodeOptions, 'NODE_OPTIONS: what npm run bench measured').toBe(POD_NODE_OPTIONS);
        const heap = /--max-old-space-size=(\d+)/.exec(nodeOptions);
        expect(heap, 'NODE_OPTIONS --max-old-space-size').toBeTruthy();
        expect(Number(heap?.[1])).toBeLessThan(mib(c.resources?.limits?.memory ?? '0Mi') * 0.75);
      },
    );

    it('run one bot (ROLE=bot) and two workers (ROLE=worker, kept by a PodDisruptionBudget)', () => {
      const role = (name: string) => container(name).env?.find((e) => e.name === 'ROLE')?.value;
      expect(role('redis-medic-bot')).toBe('bot');
      expect(role('redis-medic-worker')).toBe('worker');
      expect(find<Workload>('Deployment', 'redis-medic-worker').spec.replicas).toBe(2);
      find('PodDisruptionBudget', 'redis-medic-worker');
    });

    it('give a worker time to finish its running step (up to 60 s) before it is killed', () => {
      const grace = (name: string) =>
        find<Workload>('Deployment', name).spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace('redis-medic-worker')).toBeGreaterThanOrEqual(75);
      expect(grace('redis-medic-bot')).toBeGreaterThanOrEqual(20);
    });

    it(`set SLACK_MODE=${mode} and keep secrets out of the ConfigMap`, () => {
      const cm = find<K8sObject & { data: Record<string, string> }>('ConfigMap', 'redis-medic');
      expect(cm.data.SLACK_MODE).toBe(mode);
      for (const key of Object.keys(cm.data)) expect(key).not.toMatch(/PASSWORD|TOKEN|SECRET/);
      expect(byKind('Secret')).toEqual([]);
    });

    it('run the control Redis with AOF, noeviction and a persistent volume', () => {
      const sts = find<Workload>('StatefulSet', 'redis-medic-control');
      const args = sts.spec.template.spec.containers[0]!.args!.join(' ');
      expect(args).toContain('--appendonly yes');
      expect(args).toContain('--maxmemory-policy noeviction');
      expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    });
  });

  describe(`${label}: network`, () => {
    const app = find<NetPolicy>('NetworkPolicy', 'redis-medic-app');

    it('lets bot and workers out only to Redis (6379, 16379, Sentinel 26379), the control Redis, DNS, HTTPS', () => {
      const egress = app.spec.egress ?? [];
      expect(new Set(egress.flatMap((r) => r.ports.map((p) => p.port)))).toEqual(
        new Set([6379, 16379, 26379, 53, 443, 6443]),
      );
      const redis = egress.find((r) =>
        r.to?.some(
          (t) => t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === REDIS_NAMESPACE,
        ),
      );
      expect(redis?.ports.map((p) => p.port)).toEqual([6379, 16379, 26379]);
      for (const r of egress.filter((x) => !x.to))
        for (const p of r.ports) expect([443, 6443]).toContain(p.port);
    });

    it('admits only the monitoring namespace, only on the ops port, to bot and workers', () => {
      const ops = opsPort(container('redis-medic-bot'));
      expect(app.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: ops, protocol: 'TCP' }],
        },
      ]);
    });

    it(
      mode === 'http'
        ? 'admits Slack only from the ingress controller, and routes only /slack/events'
        : 'has no Ingress, no Slack port and no Service for Slack (Socket Mode)',
      () => {
        const slackPort = container('redis-medic-bot').ports?.find((p) => p.name === 'http')?.containerPort;
        if (mode === 'socket') {
          expect(byKind('Ingress')).toEqual([]);
          expect(slackPort).toBeUndefined();
          return;
        }
        const np = find<NetPolicy>('NetworkPolicy', 'redis-medic-slack');
        expect(np.spec.ingress).toEqual([
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
            ],
            ports: [{ port: slackPort, protocol: 'TCP' }],
          },
        ]);
        const ingress = find<
          K8sObject & { spec: { rules: { http: { paths: { path: string; pathType: string }[] } }[] } }
        >('Ingress', 'redis-medic');
        expect(ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => `${p.pathType} ${p.path}`))).toEqual(
          ['Exact /slack/events'],
        );
      },
    );
  });
}
