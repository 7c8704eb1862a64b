/**
 * A stand-in for the Kubernetes API server: a local HTTP server that answers the few pod calls the bot
 * makes with the real paths and JSON shapes (PodList, Pod, Status), so the real @kubernetes/client-node
 * talks to it through a real kubeconfig file.
 *
 * Pods are backed by the test's real redis-server processes. Deleting a pod behaves like a StatefulSet
 * without persistence: the pod goes Terminating, then Pending without an IP, then the `recreate` hook
 * (kill the process, start a fresh node under the same pod name) runs and the pod is Running again.
 * Readiness follows Bitnami's redis-cluster readiness script: PING, then `cluster_state:ok` once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { LocalCluster, LocalNode } from '../../src/sandbox/local-cluster.ts';

/**
 * The volume at the Redis data dir, as the StatefulSet's pod template gives it: `persistentVolumeClaim`
 * (a volumeClaimTemplate, claim `redis-data-<pod>`) or `emptyDir` (the chart with persistence off).
 * Unset: the pod spec has no volumes at all, as before.
 */
export interface StandInDataVolume {
  kind: 'persistentVolumeClaim' | 'emptyDir';
  /** Default `/bitnami/redis/data` (Bitnami's redis-cluster chart); Bitnami's `redis` chart uses `/data`. */
  mountPath?: string;
}

export interface StandInPodSpec {
  name: string;
  ip: string;
  port: number;
  nodeName?: string;
  labels?: Record<string, string>;
  namespace?: string;
  dataVolume?: StandInDataVolume;
}

export interface StandInPod {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  ip: string | null;
  port: number;
  nodeName: string | null;
  phase: 'Pending' | 'Running';
  created: Date;
  deleting: Date | null;
  restarts: number;
  /** Bitnami's readiness script leaves a marker once it has seen cluster_state:ok; so do we. */
  clusterOkSeen: boolean;
  /** Part of the pod template: a recreated pod keeps it. */
  dataVolume?: StandInDataVolume;
}

export type StandInMode = 'ok' | 'forbidden' | 'hang' | 'unauthorized';

export interface K8sStandInOptions {
  pods: StandInPodSpec[];
  /** Default namespace of the pods. */
  namespace?: string;
  /** Kills the pod's process and starts a fresh one; returns where it listens now (may be the same address). */
  recreate?: (pod: {
    name: string;
    ip: string | null;
    port: number;
  }) => Promise<{ ip: string; port: number }>;
  /** Ask the pod's redis for readiness (PING + cluster_state:ok once). false: a Running pod is ready. Default true. */
  redisReadiness?: boolean;
  /** How long a deleted pod stays Terminating before the new one is created. Default 50 ms. */
  terminatingMs?: number;
  /** Container name used in statuses. Default `redis-cluster` (Bitnami). */
  containerName?: string;
  /** The controller of the pods' StatefulSet (an operator's resource); unset: a StatefulSet nobody owns (a chart). */
  statefulSetOwner?: { apiVersion: string; kind: string; name: string };
}

export interface K8sStandIn {
  url: string;
  /** Path of a kubeconfig file pointing at the stand-in (removed on close). */
  kubeconfigPath: string;
  kubeconfig: string;
  token: string;
  setMode(mode: StandInMode): void;
  pods(): StandInPod[];
  pod(name: string): StandInPod | undefined;
  /** Every request seen, in order. */
  requests: { method: string; path: string; status: number }[];
  /** The StatefulSet recreated the pod with its volume at a new IP (its process was restarted there): a new uid, the new IP. */
  restartedAt(name: string, ip: string): void;
  /** Resolves when the pod is Running with an IP again after a delete (or rejects after timeoutMs). */
  waitForRunning(name: string, timeoutMs?: number): Promise<StandInPod>;
  close(): Promise<void>;
}

const DEFAULT_LABELS = {
  'app.kubernetes.io/name': 'redis-cluster',
  'app.kubernetes.io/instance': 'redis',
};

/** Starts the stand-in on 127.0.0.1 and an ephemeral port. */
export async function startK8sStandIn(opts: K8sStandInOptions): Promise<K8sStandIn> {
  const defaultNs = opts.namespace ?? 'redis';
  const container = opts.containerName ?? 'redis-cluster';
  const redisReadiness = opts.redisReadiness ?? true;
  const token = `stand-in-${randomUUID()}`;
  const pods = new Map<string, StandInPod>();
  for (const spec of opts.pods)
    pods.set(key(spec.namespace ?? defaultNs, spec.name), newPod(spec, defaultNs));
  let mode: StandInMode = 'ok';
  const requests: K8sStandIn['requests'] = [];
  const sockets = new Set<Socket>();
  const pending = new Set<Promise<unknown>>();
  let closed = false;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', String(err));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const log = { method, path: `${url.pathname}${url.search}`, status: 0 };
    requests.push(log);
    const send = (status: number, body: unknown) => {
      log.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string, details?: Record<string, unknown>) => {
      log.status = code;
      sendStatus(res, code, reason, message, details);
    };

    /** `GET /apis/apps/v1/namespaces/{ns}/statefulsets/{name}`: the StatefulSet behind the pods, with its owner. */
    const statefulSet = (ns: string, name: string) => {
      if (mode === 'hang') return;
      if (mode === 'unauthorized' || req.headers.authorization !== `Bearer ${token}`)
        return status(401, 'Unauthorized', 'Unauthorized');
      if (mode === 'forbidden')
        return status(
          403,
          'Forbidden',
          `statefulsets.apps "${name}" is forbidden: User "system:serviceaccount:redis-medic:redis-medic" cannot get resource "statefulsets" in API group "apps" in the namespace "${ns}"`,
          { name, group: 'apps', kind: 'statefulsets' },
        );
      const members = [...pods.values()].filter(
        (p) => p.namespace === ns && statefulSetName(p.name) === name,
      );
      if (members.length === 0) return status(404, 'NotFound', `statefulsets.apps "${name}" not found`);
      const owner = opts.statefulSetOwner;
      return send(200, {
        kind: 'StatefulSet',
        apiVersion: 'apps/v1',
        metadata: {
          name,
          namespace: ns,
          uid: `sts-${name}`,
          ...(owner
            ? {
                ownerReferences: [
                  { ...owner, uid: `cr-${owner.name}`, controller: true, blockOwnerDeletion: true },
                ],
              }
            : {}),
        },
        spec: {
          replicas: members.length,
          serviceName: `${name}-headless`,
          selector: { matchLabels: DEFAULT_LABELS },
        },
        status: {
          replicas: members.length,
          readyReplicas: members.filter((p) => p.phase === 'Running').length,
        },
      });
    };
    if (mode === 'hang') return; // never answer; the socket is destroyed on close
    if (mode === 'unauthorized' || req.headers.authorization !== `Bearer ${token}`) {
      return status(401, 'Unauthorized', 'Unauthorized');
    }
    const sts = url.pathname.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/statefulsets\/([^/]+)$/);
    if (sts && method === 'GET') return statefulSet(decodeURIComponent(sts[1]!), decodeURIComponent(sts[2]!));
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/);
    if (!m) return status(404, 'NotFound', 'the server could not find the requested resource');
    const ns = decodeURIComponent(m[1]!);
    const name = m[2] ? decodeURIComponent(m[2]) : undefined;
    const verb = method === 'DELETE' ? 'delete' : method === 'GET' ? (name ? 'get' : 'list') : undefined;
    if (!verb)
      return status(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );

    if (mode === 'forbidden') {
      return status(
        403,
        'Forbidden',
        `pods${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:redis-medic:redis-medic" cannot ${verb} resource "pods" in API group "" in the namespace "${ns}"`,
        { ...(name ? { name } : {}), kind: 'pods' },
      );
    }

    if (verb === 'list') {
      const sel = url.searchParams.get('labelSelector') ?? '';
      const match = parseSelector(sel);
      if (!match.ok) return status(400, 'BadRequest', `unable to parse requirement: ${match.error}`);
      const items: unknown[] = [];
      for (const p of pods.values()) {
        if (p.namespace === ns && match.test(p.labels)) items.push(await podJson(p));
      }
      return send(200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(Date.now()) },
        items,
      });
    }
    const pod = pods.get(key(ns, name!));
    if (!pod) {
      return status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    }
    if (verb === 'get') return send(200, await podJson(pod));

    // DELETE: answer with the pod marked for deletion, then play the StatefulSet controller.
    if (!pod.deleting) {
      pod.deleting = new Date();
      const job = replacePod(pod).catch(() => {});
      pending.add(job);
      job.finally(() => pending.delete(job));
    }
    return send(200, await podJson(pod));
  }

  async function replacePod(pod: StandInPod): Promise<void> {
    await sleep(opts.terminatingMs ?? 50);
    if (closed) return;
    const previous = { name: pod.name, ip: pod.ip, port: pod.port };
    // The new pod object: same name, new uid, no IP yet.
    Object.assign(pod, {
      uid: randomUUID(),
      ip: null,
      phase: 'Pending',
      created: new Date(),
      deleting: null,
      restarts: 0,
      clusterOkSeen: false,
    });
    const where = opts.recreate
      ? await opts.recreate(previous)
      : { ip: previous.ip ?? '127.0.0.1', port: previous.port };
    if (closed) return;
    pod.ip = where.ip;
    pod.port = where.port;
    pod.phase = 'Running';
  }

  async function readiness(p: StandInPod): Promise<{ ready: boolean; why?: string }> {
    if (p.phase !== 'Running' || !p.ip) return { ready: false, why: 'ContainerCreating' };
    if (p.deleting) return { ready: false, why: 'Terminating' };
    if (!redisReadiness) return { ready: true };
    const r = new Redis({
      host: p.ip,
      port: p.port,
      lazyConnect: true,
      connectTimeout: 300,
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      protocol: 2,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) !== 'PONG') return { ready: false, why: 'ping failed' };
      if (!p.clusterOkSeen) {
        const info = String(await r.call('CLUSTER', 'INFO'));
        const state = info.match(/cluster_state:(\w+)/)?.[1];
        if (state !== 'ok') return { ready: false, why: `cluster_state:${state ?? 'unknown'}` };
        p.clusterOkSeen = true;
      }
      return { ready: true };
    } catch (err) {
      return { ready: false, why: err instanceof Error ? err.message : String(err) };
    } finally {
      r.disconnect();
    }
  }

  async function podJson(p: StandInPod): Promise<unknown> {
    const r = await readiness(p);
    const now = new Date().toISOString();
    const running = p.phase === 'Running';
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: p.name,
        namespace: p.namespace,
        uid: p.uid,
        labels: p.labels,
        creationTimestamp: p.created.toISOString(),
        ...(p.deleting
          ? { deletionTimestamp: p.deleting.toISOString(), deletionGracePeriodSeconds: 30 }
          : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            name: statefulSetName(p.name),
            uid: 'sts',
            controller: true,
          },
        ],
      },
      spec: {
        nodeName: p.nodeName ?? undefined,
        containers: [
          {
            name: container,
            image: 'docker.io/bitnami/redis-cluster:7.0',
            ports: [
              { name: 'tcp-redis', containerPort: p.port, protocol: 'TCP' },
              { name: 'tcp-redis-bus', containerPort: p.port + 10000, protocol: 'TCP' },
            ],
            ...(p.dataVolume
              ? {
                  volumeMounts: [
                    { name: 'scripts', mountPath: '/scripts' },
                    { name: 'redis-data', mountPath: p.dataVolume.mountPath ?? '/bitnami/redis/data' },
                    {
                      name: 'kube-api-access',
                      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
                      readOnly: true,
                    },
                  ],
                }
              : {}),
          },
        ],
        ...(p.dataVolume
          ? {
              volumes: [
                {
                  name: 'scripts',
                  configMap: { name: `${statefulSetName(p.name)}-scripts`, defaultMode: 493 },
                },
                p.dataVolume.kind === 'persistentVolumeClaim'
                  ? { name: 'redis-data', persistentVolumeClaim: { claimName: `redis-data-${p.name}` } }
                  : { name: 'redis-data', emptyDir: {} },
                {
                  name: 'kube-api-access',
                  projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
                },
              ],
            }
          : {}),
      },
      status: {
        phase: p.phase,
        ...(p.ip ? { podIP: p.ip, podIPs: [{ ip: p.ip }] } : {}),
        hostIP: '10.0.0.1',
        startTime: p.created.toISOString(),
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: running ? 'True' : 'False', lastTransitionTime: now },
          r.ready
            ? { type: 'ContainersReady', status: 'True', lastTransitionTime: now }
            : {
                type: 'ContainersReady',
                status: 'False',
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${container}]`,
                lastTransitionTime: now,
              },
          r.ready
            ? { type: 'Ready', status: 'True', lastTransitionTime: now }
            : {
                type: 'Ready',
                status: 'False',
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${container}]`,
                lastTransitionTime: now,
              },
        ],
        containerStatuses: [
          {
            name: container,
            ready: r.ready,
            started: running,
            restartCount: p.restarts,
            image: 'docker.io/bitnami/redis-cluster:7.0',
            imageID: '',
            state: running
              ? { running: { startedAt: p.created.toISOString() } }
              : { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'k8s-stand-in-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: stand-in',
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: stand-in',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: stand-in',
    '  context:',
    '    cluster: stand-in',
    '    user: stand-in',
    `    namespace: ${defaultNs}`,
    'current-context: stand-in',
    '',
  ].join('\n');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    kubeconfig,
    token,
    requests,
    setMode(m) {
      mode = m;
    },
    pods: () => [...pods.values()],
    pod: (name) => [...pods.values()].find((p) => p.name === name),
    restartedAt(name, ip) {
      const p = [...pods.values()].find((x) => x.name === name);
      if (!p) throw new Error(`stand-in: no pod ${name}`);
      Object.assign(p, {
        uid: randomUUID(),
        ip,
        phase: 'Running',
        created: new Date(),
        clusterOkSeen: false,
      });
    },
    async waitForRunning(name, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const p = [...pods.values()].find((x) => x.name === name);
        if (p && p.phase === 'Running' && p.ip && !p.deleting) return p;
        if (Date.now() > until) throw new Error(`stand-in: pod ${name} not Running within ${timeoutMs} ms`);
        await sleep(25);
      }
    },
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pending]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function newPod(spec: StandInPodSpec, defaultNs: string): StandInPod {
  return {
    name: spec.name,
    namespace: spec.namespace ?? defaultNs,
    uid: randomUUID(),
    labels: { ...DEFAULT_LABELS, 'statefulset.kubernetes.io/pod-name': spec.name, ...spec.labels },
    ip: spec.ip,
    port: spec.port,
    nodeName: spec.nodeName ?? null,
    phase: 'Running',
    created: new Date(),
    deleting: null,
    restarts: 0,
    clusterOkSeen: false,
    ...(spec.dataVolume ? { dataVolume: spec.dataVolume } : {}),
  };
}

function key(ns: string, name: string): string {
  return `${ns}/${name}`;
}

function statefulSetName(pod: string): string {
  return pod.replace(/-\d+$/, '');
}

function sendStatus(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    }),
  );
}

type SelectorResult =
  | { ok: true; test: (labels: Record<string, string>) => boolean }
  | { ok: false; error: string };

/** Kubernetes label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, joined by commas. */
export function parseSelector(text: string): SelectorResult {
  const reqs: ((l: Record<string, string>) => boolean)[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() || parts.length) parts.push(cur);
  const keyRe = '[A-Za-z0-9][-A-Za-z0-9_./]*';
  const equality = new RegExp(`^(${keyRe})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`);
  const setBased = new RegExp(`^(${keyRe})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
  const absent = new RegExp(`^!(${keyRe})$`);
  const exists = new RegExp(`^(${keyRe})$`);
  for (const raw of parts) {
    const part = raw.trim();
    const eq = part.match(equality);
    const set = part.match(setBased);
    const not = part.match(absent);
    const has = part.match(exists);
    if (eq) {
      const [, k, op, v] = eq as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if (set) {
      const [, k, op, list] = set as unknown as [string, string, string, string];
      const values = list.split(',').map((x) => x.trim());
      reqs.push(
        op === 'in'
          ? (l) => l[k] !== undefined && values.includes(l[k])
          : (l) => !values.includes(l[k] ?? '\0'),
      );
    } else if (not) {
      const k = not[1]!;
      reqs.push((l) => !(k in l));
    } else if (has) {
      const k = has[1]!;
      reqs.push((l) => k in l);
    } else {
      return { ok: false, error: `"${part}"` };
    }
  }
  return { ok: true, test: (labels) => reqs.every((r) => r(labels)) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------------
// Pods for a local cluster

export interface ClusterStandInOptions {
  namespace?: string;
  /** Pod names are `${prefix}-${i}` in the launcher's order (masters first). Default `redis-cluster`. */
  prefix?: string;
  /** Kubernetes node of each pod; default spreads a master and its replica over different nodes. */
  nodeName?: (node: LocalNode, index: number) => string;
  redisReadiness?: boolean;
  /** The volume at the data dir of every pod (default: none in the spec). */
  dataVolume?: StandInDataVolume;
  /** See K8sStandInOptions. */
  statefulSetOwner?: K8sStandInOptions['statefulSetOwner'];
  /** Extra labels on every pod (e.g. an operator's). */
  labels?: Record<string, string>;
}

export interface ClusterStandIn extends K8sStandIn {
  /** The redis-server process currently behind a pod. */
  nodeOfPod(name: string): LocalNode;
  podOfNode(node: LocalNode): string;
}

/**
 * A stand-in whose pods are the members of a local cluster. Deleting a pod kills its redis-server and
 * starts a fresh empty node (new id) on a new loopback IP and the same port: a StatefulSet pod recreated
 * without persistence, as in write-ups 000 and 004.
 */
export async function startK8sStandInForCluster(
  cluster: LocalCluster,
  opts: ClusterStandInOptions = {},
): Promise<ClusterStandIn> {
  const prefix = opts.prefix ?? 'redis-cluster';
  const members = cluster.nodes;
  const masters = cluster.masters();
  const byPod = new Map<string, LocalNode>();
  const spread = (node: LocalNode, i: number): string => {
    const m = masters.findIndex((x) => x === node || x.id === node.masterId);
    const shard = m >= 0 ? m : i;
    return `k8s-node-${node.role === 'replica' ? (shard + 1) % Math.max(2, masters.length) : shard}`;
  };
  const specs = members.map((node, i) => {
    const name = `${prefix}-${i}`;
    byPod.set(name, node);
    return {
      name,
      ip: node.host,
      port: node.port,
      nodeName: (opts.nodeName ?? spread)(node, i),
      ...(opts.dataVolume ? { dataVolume: opts.dataVolume } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
    };
  });
  let nextHost = 30 + Math.floor(Math.random() * 150);
  const standIn = await startK8sStandIn({
    pods: specs,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.redisReadiness !== undefined ? { redisReadiness: opts.redisReadiness } : {}),
    ...(opts.statefulSetOwner ? { statefulSetOwner: opts.statefulSetOwner } : {}),
    async recreate(pod) {
      const old = byPod.get(pod.name);
      if (!old) throw new Error(`stand-in: no process behind pod ${pod.name}`);
      await cluster.kill(old);
      const host = `127.0.0.${nextHost++}`;
      // Outgoing connections must leave from the pod's own IP, or the others learn 127.0.0.1 for it;
      // Bitnami's chart announces the pod IP the same way.
      const extraConfig = [`bind-source-addr ${host}`, `cluster-announce-ip ${host}`];
      let fresh: LocalNode;
      try {
        fresh = await cluster.startFreshNode({ host, port: old.port, extraConfig });
      } catch {
        fresh = await cluster.startFreshNode({ host, extraConfig });
      }
      byPod.set(pod.name, fresh);
      return { ip: fresh.host, port: fresh.port };
    },
  });
  return {
    ...standIn,
    nodeOfPod(name) {
      const n = byPod.get(name);
      if (!n) throw new Error(`stand-in: no pod ${name}`);
      return n;
    },
    podOfNode(node) {
      for (const [name, n] of byPod) if (n === node || n.id === node.id) return name;
      throw new Error(`stand-in: node ${node.addr} runs in no pod`);
    },
  };
}
