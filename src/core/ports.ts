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
 * Stand-ins for the target's credentials inside a command's arguments. A step that must hand them to Redis
 * (MIGRATE … AUTH, CONFIG SET masterauth) writes these; only the `NodeCommander`, which holds the
 * credentials, puts the real values in, right before sending. So the password never sits in a step, a plan,
 * an event, a log line or an error message, and the dry run shows `***` in its place.
 */
export const Credential = {
  /** Expands to `AUTH <password>`, `AUTH2 <username> <password>`, or nothing when there is no password. */
  migrateAuth: '\u0000medic:migrate-auth',
  /** Expands to the password ('' when there is none). */
  password: '\u0000medic:password',
  /** Expands to the username (`default` when none is configured). */
  username: '\u0000medic:username',
} as const;

/**
 * Sends one command to one node, fail-fast (RESP2, short connect/command timeouts, no retries).
 * Rejects with a CodedError: NODE_UNREACHABLE (refused), NODE_TIMEOUT (frozen), NODE_ERROR (Redis error reply).
 */
export interface NodeCommander {
  /**
   * `args` may hold `Credential` stand-ins; they are replaced by the credentials just before sending, only at
   * the positions that carry credentials (MIGRATE's AUTH/AUTH2, CONFIG SET masterauth/masteruser).
   * Buffers are sent as raw bytes; `buffers: true` returns bulk replies as Buffers (binary key names).
   */
  call(
    addr: Addr,
    args: (string | number | Buffer)[],
    opts?: { timeoutMs?: number; buffers?: boolean },
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** Reads a fresh topology of one cluster. */
export interface TopologySource {
  /**
   * `reuseUnchanged`: when every answer that matters equals the last scan's (read-digest.ts), return that
   * scan's very Topology object (same identity, its times and offsets those of then). The watcher uses it to
   * skip the merge and the analysis on quiet rounds; whoever shows numbers leaves it off.
   */
  scan(opts?: { timeoutMs?: number; reuseUnchanged?: boolean }): Promise<Topology>;
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
  /** Channel ids where this cluster may be acted on (clusters file `channels:`); none: wherever ALLOWED_CHANNELS allows. */
  channels?: string[];
  /** Link templates (`{cluster}`, `{node}`) shown as buttons on status, plan and incident messages. */
  links?: { dashboardUrl?: string; runbookUrl?: string };
}
