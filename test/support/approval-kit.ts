/** The approval seal and run-time check as tests set them up (one shared secret, a fixed approver list). */
import { createApprovalSealer } from '../../src/app/approval-seal.ts';
import { createApproverSet } from '../../src/app/approver-set.ts';
import { checkBeforeRun } from '../../src/app/run-check.ts';
import type { PlanRecord } from '../../src/core/plan-record.ts';

export const TEST_APPROVAL_SECRET = 'test-approval-secret-0123456789abcdef';

/** Everyone the queue tests approve as. */
export const TEST_APPROVERS = ['UA', 'UB', ...Array.from({ length: 10 }, (_, i) => `U${i}`)];

export const testSealer = createApprovalSealer(TEST_APPROVAL_SECRET);

/** The worker's run-time check with the test secret, `approvers`, and PLAN_MAX_QUEUED's default. */
export function testRunCheck(
  secret = TEST_APPROVAL_SECRET,
  approvers: string[] = TEST_APPROVERS,
  maxQueuedMs = 15 * 60_000,
) {
  const sealer = createApprovalSealer(secret);
  const set = createApproverSet(approvers.length ? approvers : TEST_APPROVERS);
  return (record: PlanRecord) =>
    checkBeforeRun(record, { approvers: set, allowSelfApproval: false, sealer, maxQueuedMs });
}
