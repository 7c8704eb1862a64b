/** What a scan sees: nodes, probes, pods, Sentinel answers, the merged topology and its findings. */

/** A Redis Cluster node id: 40 hex characters. */
export type NodeId = string;
/** `host:port` of a node's data port. */
export type Addr = string;

export type NodeFlag =
  | 'myself'
  | 'master'
  | 'slave'
  | 'fail?'
  | 'fail'
  | 'handshake'
  | 'noaddr'
  | 'nofailover'
  | 'noflags';

/** Inclusive slot range. A single slot N is { start: N, end: N }. */
export interface SlotRange {
  start: number;
  end: number;
}

/** An open slot: `[N->-id]` (migrating to id) or `[N-<-id]` (importing from id). */
export interface SlotMove {
  slot: number;
  nodeId: NodeId;
}

/** One line of `CLUSTER NODES`, as seen by one observer. */
export interface NodeView {
  id: NodeId;
  /** `host:port`, or null for `noaddr` / `:0@0`. A node that does not know its IP yet prints `:6379`: host is ''. */
  addr: Addr | null;
  host: string;
  port: number;
  cport?: number;
  hostname?: string;
  flags: NodeFlag[];
  masterId: NodeId | null;
  /** In a scan's picture, possibly an earlier text's: views are shared across nodes (parse-cache.ts peek). */
  pingSent: number;
  pongRecv: number;
  configEpoch: number;
  link: 'connected' | 'disconnected';
  slots: SlotRange[];
  migrating: SlotMove[];
  importing: SlotMove[];
}

/** `CLUSTER INFO`. */
export interface ClusterInfo {
  state: 'ok' | 'fail';
  slotsAssigned: number;
  slotsOk: number;
  slotsPfail: number;
  slotsFail: number;
  knownNodes: number;
  size: number;
  currentEpoch: number;
  myEpoch: number;
  raw: Record<string, string>;
}

/** One `slaveN:` line of `INFO replication` on a master. */
export interface ReplicaLine {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

/** `INFO replication`. */
export interface ReplicationInfo {
  role: 'master' | 'slave';
  connectedSlaves: number;
  masterReplOffset: number;
  replicas: ReplicaLine[];
  masterHost?: string;
  masterPort?: number;
  masterLinkStatus?: 'up' | 'down';
  masterLastIoSecondsAgo?: number;
  masterSyncInProgress?: boolean;
  slaveReplOffset?: number;
  masterLinkDownSinceSeconds?: number;
  raw: Record<string, string>;
}

/** `INFO persistence`, plus `CONFIG GET save appendonly` when the node allows it. */
export interface PersistenceInfo {
  aofEnabled: boolean;
  loading: boolean;
  rdbChangesSinceLastSave: number;
  rdbLastBgsaveStatus: string;
  aofLastWriteStatus: string;
  /** Value of `CONFIG GET save` ('' = RDB snapshots off); undefined when CONFIG is not allowed. */
  saveConfig?: string;
}

/** A Kubernetes pod that may run a Redis node. */
export interface PodInfo {
  name: string;
  namespace: string;
  ip: string | null;
  phase: string;
  ready: boolean;
  /** Why it is not ready, from the pod's conditions / container statuses, when known. */
  notReadyReason?: string;
  restarts: number;
  nodeName: string | null;
  /** Data port of the Redis container (default 6379). */
  port: number;
  /** The pod object's uid: a recreated pod (same name) has a new one. */
  uid?: string;
  /** metadata.creationTimestamp, epoch ms. */
  createdAt?: number;
  /**
   * What holds the Redis container's data dir (Bitnami `/bitnami/redis/data`, else `/data`):
   * `persistent` a PersistentVolumeClaim, `emptyDir` an emptyDir (gone with the pod, AOF or not),
   * `none` no volume there (the container's own filesystem), `unknown` another kind of volume.
   * Absent when the pod spec says nothing about volumes.
   */
  dataVolume?: PodDataVolume;
  /** Where that volume is mounted in the Redis container, when one is. */
  dataMountPath?: string;
  /** The pod's labels (operator detection, issue 19). */
  labels?: Record<string, string>;
  /** Its controller, then that controller's controller (e.g. StatefulSet, then a RedisCluster resource). */
  owners?: { kind: string; name: string; apiVersion?: string }[];
}

export type PodDataVolume = 'persistent' | 'emptyDir' | 'none' | 'unknown';

export type ProbeOutcome = 'ok' | 'refused' | 'timeout' | 'error';

/** What asking one address produced. */
export interface Probe {
  addr: Addr;
  /** How we learnt of this address. */
  source: 'seed' | 'gossip' | 'pod' | 'extra';
  outcome: ProbeOutcome;
  ms: number;
  error?: string;
  /** false when the node answered `cluster_enabled:0`. */
  clusterEnabled?: boolean;
  myId?: NodeId;
  nodes?: NodeView[];
  info?: ClusterInfo;
  replication?: ReplicationInfo;
  persistence?: PersistenceInfo;
  /** Number of keys (DBSIZE), when it answered. */
  keys?: number;
  pod?: PodInfo;
  /** Subscribers of `__sentinel__:hello` (PUBSUB NUMSUB): > 0 means Sentinel watches this node. */
  sentinelSubscribers?: number;
  /** The node refused our credentials (NOAUTH / WRONGPASS): it answers, but not to us. */
  authFailed?: boolean;
  /** Which server answered (`INFO server`): Redis or Valkey, and its version. */
  server?: ServerIdentity;
}

/** A server's name and version as `INFO server` tells them (Valkey's own version, not its `redis_version`). */
export interface ServerIdentity {
  name: 'redis' | 'valkey';
  /** e.g. `7.0.15`, `7.4.1`, `8.0.1` (`255.255.255` for an unreleased build). */
  version: string;
}

export type NodeHealth = 'ok' | 'pfail' | 'fail' | 'unreachable' | 'handshake' | 'noaddr';

/** One node, merged from every observer's view. */
export interface ClusterNode {
  id: NodeId;
  addr: Addr | null;
  role: 'master' | 'replica';
  masterId: NodeId | null;
  /** Slots this node serves: its own view when we reached it, else the most common view. */
  slots: SlotRange[];
  migrating: SlotMove[];
  importing: SlotMove[];
  configEpoch: number;
  flags: NodeFlag[];
  health: NodeHealth;
  /** Did our own probe of its address succeed? */
  reachable: boolean;
  /** Observers (by node id) that flag it `fail`, resp. `fail?`. */
  failReportedBy: NodeId[];
  pfailReportedBy: NodeId[];
  info?: ClusterInfo;
  replication?: ReplicationInfo;
  persistence?: PersistenceInfo;
  keys?: number;
  pod?: PodInfo;
  /** Which server it runs, when it answered `INFO server`. */
  server?: ServerIdentity;
}

/** Where nodes disagree: a subject (e.g. "owner of slots 0-5460") and who said what. */
export interface Disagreement {
  subject: string;
  /** What they disagree about: who owns slots, a node's role / master, or its config epoch. */
  kind?: 'slots' | 'role' | 'epoch';
  /** kind 'slots': the slots concerned. */
  slots?: SlotRange[];
  /** kind 'role' / 'epoch': the node concerned. */
  nodeId?: NodeId;
  views: { observer: Addr; says: string }[];
}

export interface Topology {
  cluster: string;
  mode: 'cluster' | 'standalone';
  takenAt: number;
  /** Every address asked, with its outcome. */
  probes: Probe[];
  /** Cluster members (cluster mode). */
  nodes: ClusterNode[];
  /** Live addresses that answered but are not part of the cluster (e.g. a restarted pod alone). */
  outsiders: Probe[];
  disagreements: Disagreement[];
  /** Stable hash of membership, roles, slots and failure states. */
  fingerprint: string;
  pods?: PodInfo[];
  /** Set when the Kubernetes API could not be read: the picture is Redis-only. */
  podError?: string;
  /** What the configured Sentinels say (standalone deployments with `sentinels` configured). */
  sentinel?: SentinelView;
  /**
   * Set when the nodes were read with a password (REDIS_PASSWORD, a cluster's `password`): steps in which one
   * node connects to another (MIGRATE, a replica's sync) must authenticate too. Never holds the password.
   */
  auth?: { username?: string };
  /**
   * Keys per suspect slot (open anywhere, uncovered, owner down, or seen on a master that does not own it),
   * from `CLUSTER COUNTKEYSINSLOT` on every reachable master. Absent when no slot was suspect.
   */
  slotKeys?: SlotKeyCount[];
}

/** Keys of one slot on each reachable master (`CLUSTER COUNTKEYSINSLOT`). */
export interface SlotKeyCount {
  slot: number;
  /** One entry per master that answered, keys 0 included. */
  counts: { id: NodeId; addr: Addr; keys: number }[];
  /** Reachable masters that did not answer the count (their keys are unknown). */
  unknown?: Addr[];
}

/** One Sentinel asked, and what it said about the monitored master. */
export interface SentinelAnswer {
  addr: Addr;
  outcome: ProbeOutcome;
  error?: string;
  /** The master it names (`SENTINEL MASTERS` entry of `masterName`). */
  masterAddr?: Addr;
  /** Its flags for that master, e.g. `master`, `s_down,master`, `o_down,master,failover_in_progress`. */
  flags?: string;
  quorum?: number;
  /** Replicas it knows (`SENTINEL REPLICAS`), with their flags. */
  replicas?: { addr: Addr; flags: string; masterLinkStatus?: string; offset?: number }[];
  /** Other Sentinels it knows of. */
  numOtherSentinels?: number;
}

/** Sentinel's picture of one monitored master, from every configured Sentinel. */
export interface SentinelView {
  masterName: string;
  answers: SentinelAnswer[];
  /** The master address most answering Sentinels name (undefined when none answered). */
  masterAddr?: Addr;
  /** Answering Sentinels that name `masterAddr`. */
  agreeing: number;
  quorum?: number;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  /** Stable code, e.g. `node-failed`, `master-orphaned`, `slots-uncovered`, `node-outside-cluster`. */
  code: string;
  severity: Severity;
  /** One line for a person. */
  summary: string;
  nodes: NodeId[];
  addrs?: Addr[];
  /** Which node said what. */
  evidence: string[];
}
