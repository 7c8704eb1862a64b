import { describe, expect, it } from 'vitest';
import { approvalsNeededFor } from '../../src/adapters/store/plan-hash.ts';
import { checkApprover, refusalForState, refusalReason } from '../../src/app/approvals.ts';
import { utcTime } from '../../src/app/messages/kit.ts';
import type { PlanRecord } from '../../src/core/plan-record.ts';
import { makePlan, takeoverStep } from '../support/plan-fixtures.ts';

function record(over: Partial<PlanRecord> = {}): PlanRecord {
  return {
    plan: makePlan({ requestedBy: 'UREQ', expiresAt: Date.UTC(2026, 10, 22, 3, 14) }),
    status: 'proposed',
    approvalsNeeded: 1,
    approvals: [],
    progress: { nextStep: 0, outcomes: [] },
    updatedAt: 0,
    ...over,
  };
}

const policy = { approvers: ['UA', 'UB', 'UREQ'], allowSelfApproval: false };

describe('approval guard', () => {
  describe('checkApprover', () => {
    it('refuses someone who is not in APPROVERS and names who to ask', () => {
      expect(checkApprover(policy, record(), 'UX')).toBe('NOT_APPROVER');
      expect(refusalReason('NOT_APPROVER', { policy })).toBe(
        'You are not in APPROVERS — ask one of <@UA>, <@UB>, <@UREQ>',
      );
    });

    it('says plainly when APPROVERS is empty', () => {
      expect(refusalReason('NOT_APPROVER', { policy: { approvers: [], allowSelfApproval: false } })).toMatch(
        /APPROVERS is empty/,
      );
    });

    it('refuses the requester unless self-approval is allowed', () => {
      expect(checkApprover(policy, record(), 'UREQ')).toBe('SELF_APPROVAL');
      expect(checkApprover({ ...policy, allowSelfApproval: true }, record(), 'UREQ')).toBeNull();
      expect(refusalReason('SELF_APPROVAL', {})).toBe(
        'You asked for this plan; another approver must approve it',
      );
    });

    it('lets another approver through', () => {
      expect(checkApprover(policy, record(), 'UA')).toBeNull();
    });
  });

  describe('refusal reasons', () => {
    it('gives the expiry time in UTC and says what to do', () => {
      expect(refusalReason('EXPIRED', { record: record() })).toBe(
        'This plan expired at 03:14 UTC — run /redis diagnose again',
      );
      expect(utcTime(Date.UTC(2026, 0, 1, 9, 5))).toBe('09:05 UTC');
    });

    it('names who already approved a plan that runs once', () => {
      const rec = record({ status: 'queued', approvals: [{ user: 'UA', at: 1 }] });
      expect(refusalForState(rec)).toBe('ALREADY_APPROVED');
      expect(refusalReason('ALREADY_APPROVED', { record: rec })).toBe(
        'Already approved by <@UA> — it runs once',
      );
    });

    it('maps each final state to its own code', () => {
      expect(refusalForState(record({ status: 'rejected', rejectedBy: 'UB' }))).toBe('REJECTED');
      expect(refusalForState(record({ status: 'cancelled' }))).toBe('CANCELLED');
      expect(refusalForState(record({ status: 'expired' }))).toBe('EXPIRED');
      expect(refusalForState(record({ status: 'succeeded' }))).toBe('FINISHED');
      expect(refusalReason('REJECTED', { record: record({ rejectedBy: 'UB' }) })).toMatch(
        /rejected by <@UB>/,
      );
    });
  });

  describe('approvals needed', () => {
    it('asks two approvers for takeover and fix-slots whatever the plan says', () => {
      expect(approvalsNeededFor(makePlan())).toBe(1);
      expect(approvalsNeededFor(makePlan({ steps: [takeoverStep()], approvalsNeeded: 1 }))).toBe(2);
      const fix = makePlan({
        steps: [
          {
            kind: 'fix-slots',
            action: 'assign',
            slots: [{ start: 0, end: 1 }],
            addr: 'h:1',
            targetId: 'a'.repeat(40),
            risk: 'data-loss',
            sentence: 'assign',
            commands: [],
          },
        ],
      });
      expect(approvalsNeededFor(fix)).toBe(2);
    });
  });
});
