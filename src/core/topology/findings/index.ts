import * as authFailed from './auth-failed.ts';
import * as clusterStateFail from './cluster-state-fail.ts';
import * as configEpochCollision from './config-epoch-collision.ts';
import * as disagreements from './disagreements.ts';
import * as k8sApiError from './k8s-api-error.ts';
import * as keysInUnownedSlot from './keys-in-unowned-slot.ts';
import * as masterNoPersistence from './master-no-persistence.ts';
import * as nodeHealth from './node-health.ts';
import * as nodeNewAddress from './node-new-address.ts';
import * as nodeOutsideCluster from './node-outside-cluster.ts';
import * as orphanedMasters from './orphaned-masters.ts';
import * as pods from './pods.ts';
import * as replicaHealth from './replica-health.ts';
import * as shardSameK8sNode from './shard-same-k8s-node.ts';
import type { FindingRule } from './shared.ts';
import * as slotsOnFailedMaster from './slots-on-failed-master.ts';
import * as slotsOpen from './slots-open.ts';
import * as slotsUncovered from './slots-uncovered.ts';

/** Every rule of a cluster-mode topology, in the order their findings are listed (before the severity sort). */
export const FINDING_RULES: readonly FindingRule[] = [
  nodeHealth,
  slotsUncovered,
  slotsOnFailedMaster,
  slotsOpen,
  disagreements,
  configEpochCollision,
  orphanedMasters,
  replicaHealth,
  masterNoPersistence,
  clusterStateFail,
  nodeNewAddress,
  nodeOutsideCluster,
  authFailed,
  pods,
  shardSameK8sNode,
  k8sApiError,
  keysInUnownedSlot,
];
