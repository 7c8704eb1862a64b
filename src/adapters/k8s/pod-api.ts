import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { PodApi } from '../../core/ports.ts';
import type { PodDataVolume, PodInfo } from '../../core/types.ts';

export interface PodApiOptions {
  /** Per-request deadline; the API server must not hold a scan up. Default 3000 ms. */
  timeoutMs?: number;
}

const DEFAULT_REDIS_PORT = 6379;

/** Maps a Kubernetes Pod to the little we need of it. */
export function toPodInfo(pod: V1Pod): PodInfo {
  const status = pod.status;
  const ready = (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const restarts = (status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
  const info: PodInfo = {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    ip: status?.podIP || null,
    phase: pod.metadata?.deletionTimestamp ? 'Terminating' : (status?.phase ?? 'Unknown'),
    ready,
    restarts,
    nodeName: pod.spec?.nodeName || null,
    port: redisPort(pod),
  };
  if (pod.metadata?.uid) info.uid = pod.metadata.uid;
  const created = pod.metadata?.creationTimestamp;
  if (created) info.createdAt = new Date(created).getTime();
  if (!ready) info.notReadyReason = notReadyReason(pod);
  if (pod.metadata?.labels) info.labels = { ...pod.metadata.labels };
  const owner = controllerOf(pod.metadata?.ownerReferences);
  if (owner) info.owners = [owner];
  const data = dataVolume(pod);
  if (data) {
    info.dataVolume = data.kind;
    if (data.mountPath) info.dataMountPath = data.mountPath;
  }
  return info;
}

/** The controlling owner reference (`controller: true`), else the first. */
function controllerOf(
  refs: { kind: string; name: string; apiVersion: string; controller?: boolean }[] | undefined,
): { kind: string; name: string; apiVersion: string } | undefined {
  const r = (refs ?? []).find((o) => o.controller) ?? refs?.[0];
  return r ? { kind: r.kind, name: r.name, apiVersion: r.apiVersion } : undefined;
}

const isRedisPortName = (name: string | undefined) =>
  /redis/i.test(name ?? '') && !/bus|gossip|metrics|sentinel/i.test(name ?? '');

/** The Redis container: the one with the Redis port (see `redisPort`), else one named like redis, else the first. */
function redisContainer(pod: V1Pod): V1Container | undefined {
  const containers = pod.spec?.containers ?? [];
  return (
    containers.find((c) => (c.ports ?? []).some((p) => isRedisPortName(p.name))) ??
    containers.find((c) => /redis/i.test(c.name) && !/metrics|exporter|sentinel/i.test(c.name)) ??
    containers[0]
  );
}

/** Where Redis keeps its AOF / RDB files: Bitnami's charts first, then the official image's default. */
const DATA_DIRS = ['/bitnami/redis/data', '/data'];

/**
 * What holds the Redis data dir: the volume mounted at it (or at its closest parent) in the Redis
 * container. A PVC survives the pod; an emptyDir dies with it, so `appendonly yes` there protects nothing
 * (write-up 004, part 1). undefined when the spec names no volume at all (nothing to go on).
 */
function dataVolume(pod: V1Pod): { kind: PodDataVolume; mountPath?: string } | undefined {
  const container = redisContainer(pod);
  const mounts = container?.volumeMounts ?? [];
  const volumes = pod.spec?.volumes ?? [];
  if (!container || (mounts.length === 0 && volumes.length === 0)) return undefined;
  const norm = (path: string) => path.replace(/\/+$/, '') || '/';
  for (const dir of DATA_DIRS) {
    const covering = mounts
      .filter((m) => {
        const at = norm(m.mountPath);
        return at !== '/' && (dir === at || dir.startsWith(`${at}/`));
      })
      .sort((a, b) => norm(b.mountPath).length - norm(a.mountPath).length)[0];
    if (!covering) continue;
    const volume = volumes.find((v) => v.name === covering.name);
    const kind: PodDataVolume = volume?.persistentVolumeClaim
      ? 'persistent'
      : volume?.emptyDir
        ? 'emptyDir'
        : 'unknown';
    return { kind, mountPath: covering.mountPath };
  }
  return { kind: 'none' };
}

/** The Redis data port: a container port named like `redis` (Bitnami: `tcp-redis`), else 6379, else the first. */
function redisPort(pod: V1Pod): number {
  const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  const named = ports.find((p) => isRedisPortName(p.name));
  if (named) return named.containerPort;
  if (ports.some((p) => p.containerPort === DEFAULT_REDIS_PORT)) return DEFAULT_REDIS_PORT;
  return ports[0]?.containerPort ?? DEFAULT_REDIS_PORT;
}

/** Why a pod is not ready, in the words Kubernetes uses: a waiting / terminated container first, then the Ready condition. */
function notReadyReason(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'terminating';
  const status = pod.status;
  for (const c of status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason)
      return `${c.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
    const terminated = c.state?.terminated;
    if (terminated?.reason) return `${c.name}: ${terminated.reason}`;
  }
  const readyCond = (status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (readyCond && (readyCond.message || readyCond.reason)) {
    return [readyCond.reason, readyCond.message].filter(Boolean).join(': ');
  }
  const scheduled = (status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status !== 'True');
  if (scheduled) return `not scheduled${scheduled.message ? `: ${scheduled.message}` : ''}`;
  return `phase ${status?.phase ?? 'Unknown'}`;
}

/** Turns whatever the client threw into K8S_ERROR with a message a person on call can act on. */
export function k8sError(err: unknown, what: string, timeoutMs: number): CodedError {
  if (err instanceof CodedError) return err;
  if (err instanceof ApiException) {
    const code = err.code;
    const statusMessage = apiStatusMessage(err.body);
    const hint =
      code === 403
        ? ' — the ServiceAccount lacks RBAC permission (it needs get/list/delete on pods in that namespace)'
        : code === 401
          ? ' — the credentials were not accepted'
          : '';
    return new CodedError(
      ErrorCodes.K8sError,
      `Kubernetes API refused to ${what}: ${code} ${statusText(code)}${statusMessage ? ` (${statusMessage})` : ''}${hint}`,
      { status: code, transient: code === 429 || code >= 500 },
    );
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new CodedError(
      ErrorCodes.K8sError,
      `Kubernetes API did not answer within ${timeoutMs} ms when asked to ${what}`,
      { timeout: true, transient: true },
    );
  }
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new CodedError(ErrorCodes.K8sError, `could not reach the Kubernetes API to ${what}: ${cause}`, {
    transient: true,
  });
}

function apiStatusMessage(body: unknown): string | undefined {
  let b: unknown = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b) as unknown;
    } catch {
      return (body as string).slice(0, 200) || undefined;
    }
  }
  if (b && typeof b === 'object' && 'message' in b && typeof b.message === 'string') return b.message;
  return undefined;
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return texts[code] ?? '';
}

/** Races a call against the deadline too: the signal stops the request, the race makes sure we return. */
async function withDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctrl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error('deadline');
      err.name = 'TimeoutError';
      ctrl.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(ctrl.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A request option that hands our abort signal to the client's fetch. */
function signalOption(signal: AbortSignal) {
  return {
    middleware: [],
    middlewareMergeStrategy: 'append' as const,
    promiseMiddleware: [
      {
        pre: async (ctx: { setSignal(s: AbortSignal): void }) => {
          ctx.setSignal(signal);
          return ctx;
        },
        post: async <R>(ctx: R) => ctx,
      },
    ],
  };
}

/** PodApi over @kubernetes/client-node: list by label selector, get and delete by name. Errors are K8S_ERROR. */
export function createPodApi(kc: KubeConfig, opts: PodApiOptions = {}): Required<PodApi> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const timeoutMs = opts.timeoutMs ?? 3000;
  /** StatefulSet → its controller (an operator's resource), cached a minute; null when none or not readable. */
  const stsOwners = new Map<string, { at: number; owner: ReturnType<typeof controllerOf> | null }>();
  async function statefulSetOwner(namespace: string, name: string) {
    const k = `${namespace}/${name}`;
    const hit = stsOwners.get(k);
    if (hit && Date.now() - hit.at < 60_000) return hit.owner;
    let owner: ReturnType<typeof controllerOf> | null = null;
    try {
      const sts = await withDeadline(timeoutMs, (signal) =>
        // biome-ignore lint/suspicious/noExplicitAny: as in listPods
        apps.readNamespacedStatefulSet({ name, namespace }, signalOption(signal) as any),
      );
      owner = controllerOf(sts.metadata?.ownerReferences) ?? null;
    } catch {
      owner = null; // no RBAC for statefulsets, or gone: the pods' labels still tell
    }
    stsOwners.set(k, { at: Date.now(), owner });
    return owner;
  }
  /** Adds the StatefulSet's own controller to each pod's owners (operator detection, issue 19). */
  async function withOwners(pods: PodInfo[]): Promise<PodInfo[]> {
    const names = [
      ...new Set(
        pods.flatMap((p) =>
          p.owners?.[0]?.kind === 'StatefulSet' ? [`${p.namespace}/${p.owners[0].name}`] : [],
        ),
      ),
    ];
    const found = new Map(
      await Promise.all(
        names.map(async (k) => {
          const [ns, name] = k.split('/') as [string, string];
          return [k, await statefulSetOwner(ns, name)] as const;
        }),
      ),
    );
    for (const p of pods) {
      const sts = p.owners?.[0];
      const up = sts?.kind === 'StatefulSet' ? found.get(`${p.namespace}/${sts.name}`) : undefined;
      if (sts && up) p.owners = [sts, up];
    }
    return pods;
  }
  return {
    async listPods(namespace, selector) {
      const what = `list pods in namespace "${namespace}" (selector ${selector})`;
      try {
        const list = await withDeadline(timeoutMs, (signal) =>
          // biome-ignore lint/suspicious/noExplicitAny: the generated option type is wider than what we pass
          core.listNamespacedPod({ namespace, labelSelector: selector }, signalOption(signal) as any),
        );
        return withOwners((list.items ?? []).map(toPodInfo).sort((a, b) => a.name.localeCompare(b.name)));
      } catch (err) {
        throw k8sError(err, what, timeoutMs);
      }
    },
    async getPod(namespace, name) {
      const what = `read pod "${name}" in namespace "${namespace}"`;
      try {
        const pod = await withDeadline(timeoutMs, (signal) =>
          // biome-ignore lint/suspicious/noExplicitAny: as above
          core.readNamespacedPod({ name, namespace }, signalOption(signal) as any),
        );
        return toPodInfo(pod);
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return null;
        throw k8sError(err, what, timeoutMs);
      }
    },
    async deletePod(namespace, name) {
      const what = `delete pod "${name}" in namespace "${namespace}"`;
      try {
        await withDeadline(timeoutMs, (signal) =>
          // biome-ignore lint/suspicious/noExplicitAny: as above
          core.deleteNamespacedPod({ name, namespace }, signalOption(signal) as any),
        );
      } catch (err) {
        throw k8sError(err, what, timeoutMs);
      }
    },
  };
}
