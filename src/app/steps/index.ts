/**
 * The step handler registry: one handler per step kind. Handlers of other kinds (restart-pod, promote,
 * replicaof, enable-aof, sentinel-failover) live in their own files and register here, either by an
 * import line below or by calling `registerStepHandler` at start.
 */
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

const handlers = new Map<StepKind, StepHandler>();

export function registerStepHandler<K extends StepKind>(kind: K, handler: StepHandlerFor<K>): void {
  handlers.set(kind, handler as unknown as StepHandler);
}

export function stepHandler(kind: StepKind): StepHandler | undefined {
  return handlers.get(kind);
}

registerStepHandler('forget', forgetHandler);
registerStepHandler('meet', meetHandler);
registerStepHandler('replicate', replicateHandler);
registerStepHandler('failover', failoverHandler);
registerStepHandler('fix-slots', fixSlotsHandler);
registerStepHandler('restart-pod', restartPodHandler);
// Standalone (master/replica) deployments, issue 10.
registerStepHandler('promote', promoteHandler);
registerStepHandler('replicaof', replicaofHandler);
registerStepHandler('enable-aof', enableAofHandler);
registerStepHandler('sentinel-failover', sentinelFailoverHandler);
// Nodes back at new IPs with their ids (issue 14).
registerStepHandler('reintroduce', reintroduceHandler);
registerStepHandler('replica-links', replicaLinksHandler);
// A chosen replica under Sentinel (issue 19).
registerStepHandler('replica-priority', replicaPriorityHandler);
