/** What the planners produce and the executor runs: steps, plans, their outcomes and events. */
import type { ErrorCode } from './errors.ts';
import type { Outcome } from './outcome.ts';
import type { Addr, Finding, NodeId, SlotRange } from './topology-types.ts';

export type Risk = 'low' | 'medium' | 'high' | 'data-loss';
export const RISK_ORDER: readonly Risk[] = ['low', 'medium', 'high', 'data-loss'];

export type FailoverMode = 'default' | 'force' | 'takeover';

/**
 * What a step (or a whole plan) can drop, estimated from the live cluster before approval (issue 14).
 * `keys` counts keys (CLUSTER COUNTKEYSINSLOT, DBSIZE); `writes` estimates, from replication offsets, the
 * writes a replica has not received. null: nobody can count them (`unknownWhy` says why). Absent: not concerned.
 */
export interface KeysAtRisk {
  keys?: number | null;
  /** The slots those keys are in (slot steps). */
  slots?: SlotRange[];
  /** ≈ writes not yet on the replica that is promoted; null when the master is down. */
  writes?: number | null;
  /** Bytes of replication stream behind, the basis of `writes`. */
  lagBytes?: number;
  /** Why a figure is unknown, one sentence each. */
  unknownWhy?: string[];
}

interface StepBase {
  risk: Risk;
  /** What this step can drop, counted on the live cluster when the plan was made (steps that can lose data). */
  keysAtRisk?: KeysAtRisk;
  /** One line a person reads before approving. */
  sentence: string;
  /** The exact commands it will send, e.g. `127.0.0.1:7001 CLUSTER FORGET <id>`: the dry run. */
  commands: string[];
}

/** A plan step. Preconditions, actions and verifications are functions of the kind (see the executor). */
export type Step =
  | (StepBase & { kind: 'forget'; nodeId: NodeId })
  | (StepBase & { kind: 'meet'; addr: Addr })
  | (StepBase & {
      kind: 'replicate';
      addr: Addr;
      masterId: NodeId;
      /** When the node already replicates another master (a move): that master, at plan time. */
      fromMasterId?: NodeId;
    })
  | (StepBase & {
      kind: 'failover';
      addr: Addr;
      replicaId: NodeId;
      masterId: NodeId;
      mode: FailoverMode;
      /** Planned because the master was down: the step is stale once the master is back. */
      whenMasterDown?: boolean;
    })
  | (StepBase & {
      kind: 'fix-slots';
      action: 'assign' | 'stable';
      slots: SlotRange[];
      addr: Addr;
      targetId: NodeId;
    })
  | (StepBase & { kind: 'restart-pod'; pod: string; namespace: string })
  | (StepBase & {
      kind: 'promote';
      addr: Addr;
      /** The master it replaces (standalone): the step is stale once that one answers again (master-down). */
      formerMaster?: Addr;
      /** A planned handover while `formerMaster` still runs: `FAILOVER TO` on it, no write lost. */
      handover?: boolean;
    })
  | (StepBase & {
      kind: 'replicaof';
      addr: Addr;
      masterAddr: Addr;
      /** The node runs in this pod: after a restart its address is the pod's new IP. */
      pod?: { name: string; namespace: string };
      /** Planned for an empty node: stale if it holds keys by then (they would be dropped). */
      expectEmpty?: boolean;
    })
  | (StepBase & { kind: 'enable-aof'; addr: Addr })
  | (StepBase & {
      kind: 'reintroduce';
      /** Live nodes at a new address that others still list at the old one: met there by every live node. */
      moves: NodeMove[];
    })
  | (StepBase & {
      kind: 'replica-links';
      /** Replicas whose link must be up; CLUSTER REPLICATE is sent again to those whose link stays down. */
      replicas: { id: NodeId; addr: Addr; masterId: NodeId }[];
    })
  | (StepBase & {
      kind: 'sentinel-failover';
      masterName: string;
      sentinels: Addr[];
      /** The master Sentinel named when planned: done once Sentinel names another. */
      masterAddr?: Addr;
      /** The replica asked for (`failover <replica>`): the step fails plainly if Sentinel promoted another. */
      expectPromoted?: Addr;
    })
  | (StepBase & {
      kind: 'replica-priority';
      addr: Addr;
      priority: number;
      /** Sentinels that must see the new priority before the next step (they re-read INFO every ~10 s). */
      sentinels?: Addr[];
      masterName?: string;
    });

export type StepKind = Step['kind'];

/** A node that kept its id (and data) but answers at a new address: a pod restarted with its volume. */
export interface NodeMove {
  id: NodeId;
  /** The old address the other nodes still list. */
  from: Addr;
  /** Where it answers now. */
  to: Addr;
  /** Pod name, else the short id. */
  label: string;
}

export interface Plan {
  id: string;
  cluster: string;
  title: string;
  fingerprint: string;
  requestedBy: string;
  createdAt: number;
  expiresAt: number;
  risk: Risk;
  steps: Step[];
  approvalsNeeded: 1 | 2;
  /** Codes and summaries of the findings the plan answers. */
  findings: Pick<Finding, 'code' | 'severity' | 'summary'>[];
  /** The sum of the steps' keysAtRisk, once counted on the live cluster (absent: not counted). */
  keysAtRisk?: KeysAtRisk;
  /** The pods belong to a Redis operator that can undo the plan (issue 19): the plan's first line says so. */
  operator?: { name: string; evidence: string; pause: string };
}

/** The planner's answer. */
export type PlanOutcome = Outcome<
  { plan: Plan },
  {
    code: ErrorCode;
    reason: string;
    /** A plan that drops keys exists (a shard gone for good): `diagnose --accept-data-loss` proposes it. */
    offersDataLoss?: boolean;
  }
>;

export type ExecEventKind = 'started' | 'done' | 'skipped' | 'failed' | 'stale' | 'finished' | 'waiting';

/** What the executor / worker reports. step is the 0-based index; -1 for plan-level events. */
export interface ExecEvent {
  plan: string;
  cluster: string;
  step: number;
  kind: ExecEventKind;
  ms?: number;
  detail: string;
  at: number;
  /** On `finished`: the plan's final status. */
  status?: 'succeeded' | 'failed' | 'stale' | 'cancelled';
  /** Free-form figures, e.g. { forgetSpreadMs: 12, redisWaitMs: 800 }. */
  metrics?: Record<string, number>;
}
