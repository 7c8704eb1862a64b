/**
 * The security pieces the composition root hands down: the approval sealer, the approver set (user groups
 * resolved through Slack) and the worker's run-time check. Built once per process from the config.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { PlanRecord } from '../core/plan-record.ts';
import type { Clock } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import { type ApprovalSealer, createApprovalSealer } from './approval-seal.ts';
import { type ApproverSet, createApproverSet, type ListGroupMembers } from './approver-set.ts';
import { checkBeforeRun, type RunVerdict } from './run-check.ts';

export interface SecurityKit {
  sealer: ApprovalSealer;
  approvers: ApproverSet;
  checkBeforeRun(record: PlanRecord): Promise<RunVerdict>;
}

/**
 * Without APPROVAL_SECRET (allowed only for one process that is bot and worker at once: console, sandbox,
 * tests) the secret is made up at start: approvals given before a restart are then refused, as they should be.
 */
export async function createSecurityKit(
  config: Config,
  opts: { logger: Logger; clock: Clock; listMembers?: ListGroupMembers },
): Promise<SecurityKit> {
  const secret = config.APPROVAL_SECRET ?? randomBytes(32).toString('hex');
  const sealer = createApprovalSealer(secret);
  const listMembers = opts.listMembers;
  const approvers = createApproverSet(config.APPROVERS, {
    clock: opts.clock,
    ...(listMembers ? { listMembers } : {}),
  });
  return {
    sealer,
    approvers,
    checkBeforeRun: (record) =>
      checkBeforeRun(record, {
        approvers,
        allowSelfApproval: config.ALLOW_SELF_APPROVAL,
        sealer,
        maxQueuedMs: config.PLAN_MAX_QUEUED,
        clock: opts.clock,
      }),
  };
}
