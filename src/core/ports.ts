import type { Addr, ExecEvent, PodInfo, Topology } from './types.ts';

/** The clock, injectable so expiry and deadlines can be tested. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** ACL credentials of a target cluster. Never logged, never put in messages. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

/**
 * Sends one command to one node, fail-fast (RESP2, short connect/command timeouts, no retries).
 * Rejects with a CodedError: NODE_UNREACHABLE (refused), NODE_TIMEOUT (frozen), NODE_ERROR (Redis error reply).
 */
export interface NodeCommander {
  call(addr: Addr, args: (string | number)[], opts?: { timeoutMs?: number }): Promise<unknown>;
  close(): Promise<void>;
}

/** Reads a fresh topology of one cluster. */
export interface TopologySource {
  scan(opts?: { timeoutMs?: number }): Promise<Topology>;
}

/** Receives executor / worker events. */
export interface Reporter {
  emit(event: ExecEvent): void | Promise<void>;
}

/** The Kubernetes calls we use. */
export interface PodApi {
  listPods(namespace: string, selector: string): Promise<PodInfo[]>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** One pod by name; null when it does not exist (e.g. deleted, not yet recreated). */
  getPod?(namespace: string, name: string): Promise<PodInfo | null>;
}

/** One target the bot looks after: from REDIS_CLUSTER_NODES or from CLUSTERS_FILE. */
export interface ClusterDefinition {
  name: string;
  seeds: Addr[];
  auth: RedisAuth;
  k8s?: { namespace: string; selector: string };
  /** Sentinels watching a standalone (master/replica) deployment: the bot fails over through them. */
  sentinels?: Addr[];
  /** The master name those Sentinels monitor (`sentinel monitor <name> …`); default: the only one they know. */
  sentinelMaster?: string;
}
