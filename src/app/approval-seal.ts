/**
 * Approval seals: an HMAC, keyed by a secret the bot and the workers share (APPROVAL_SECRET), over what one
 * approval says (plan id, plan hash, approver, time, cluster). The worker checks the seal before it runs a
 * plan, so an approval written by hand into the control Redis, or a plan changed after it was approved, is refused.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Plan } from '../core/types.ts';

/** What one approval asserts. */
export interface ApprovalClaim {
  planId: string;
  planHash: string;
  user: string;
  at: number;
  cluster: string;
}

export interface ApprovalSealer {
  seal(claim: ApprovalClaim): string;
  verify(claim: ApprovalClaim, sig: unknown): boolean;
}

/** SHA-256 of the plan as stored (JSON): any change to its steps, cluster or requester changes it. */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex');
}

/** Refuses a secret too short to be one (a typo, or a placeholder left in a manifest). */
export const MIN_SECRET_LENGTH = 32;

export function createApprovalSealer(secret: string): ApprovalSealer {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new Error(`the approval secret must be at least ${MIN_SECRET_LENGTH} characters`);
  const mac = (c: ApprovalClaim) =>
    createHmac('sha256', secret)
      .update(JSON.stringify(['v1', c.planId, c.planHash, c.user, c.at, c.cluster]))
      .digest('hex');
  return {
    seal: (claim) => mac(claim),
    verify(claim, sig) {
      if (typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return false;
      return timingSafeEqual(Buffer.from(mac(claim), 'hex'), Buffer.from(sig, 'hex'));
    },
  };
}
