/** The step handler registry: one handler per step kind, each in its own file (src/app/steps/<kind>.ts). */
import type { StepKind } from '../../core/types.ts';
import { enableAofHandler } from './enable-aof.ts';
import { failoverHandler } from './failover.ts';
import { fixSlotsHandler } from './fix-slots.ts';
import { forgetHandler } from './forget.ts';
import { meetHandler } from './meet.ts';
import { promoteHandler } from './promote.ts';
import { reintroduceHandler } from './reintroduce.ts';
import { replicaLinksHandler } from './replica-links.ts';
import { replicaPriorityHandler } from './replica-priority.ts';
import { replicaofHandler } from './replicaof.ts';
import { replicateHandler } from './replicate.ts';
import { restartPodHandler } from './restart-pod.ts';
import { sentinelFailoverHandler } from './sentinel-failover.ts';
import type { StepHandler, StepHandlerFor } from './types.ts';

export type { CheckResult, StepContext, StepHandler, StepHandlerFor } from './types.ts';

/** Every step kind with its handler: the compiler refuses a kind without one. */
export const stepHandlers: { readonly [K in StepKind]: StepHandlerFor<K> } = {
  forget: forgetHandler,
  meet: meetHandler,
  replicate: replicateHandler,
  failover: failoverHandler,
  'fix-slots': fixSlotsHandler,
  'restart-pod': restartPodHandler,
  // Standalone (master/replica) deployments, issue 10.
  promote: promoteHandler,
  replicaof: replicaofHandler,
  'enable-aof': enableAofHandler,
  'sentinel-failover': sentinelFailoverHandler,
  // Nodes back at new IPs with their ids (issue 14).
  reintroduce: reintroduceHandler,
  'replica-links': replicaLinksHandler,
  // A chosen replica under Sentinel (issue 19).
  'replica-priority': replicaPriorityHandler,
};

/** The handler of `kind`; undefined for a kind this build does not know (a plan stored by another version). */
export function stepHandler(kind: StepKind): StepHandler | undefined {
  if (!Object.hasOwn(stepHandlers, kind)) return undefined;
  return stepHandlers[kind] as unknown as StepHandler;
}
