/**
 * What is checked before a command or a click does anything: the cluster is bound to this channel (the
 * clusters file's `channels:`), the person is within the rate limit, and a button is clicked on the very
 * message where its plan was posted, carrying a well-formed plan id.
 */
import type { Intent } from '../core/intents/parse-intent.ts';
import { isPlanId } from '../core/plan-id.ts';
import type { PlanRecord, PlanStore } from '../core/plan-record.ts';
import type { Clock } from '../core/ports.ts';
import type { ClusterRegistry } from './clusters.ts';
import { createRateLimiter } from './rate-limit.ts';

/** Why a command or click stops here: the sentence the person reads, and the metrics / audit outcome. */
export interface GateRefusal {
  outcome: 'cluster-not-bound' | 'rate-limited' | 'bad-plan-id' | 'wrong-message';
  text: string;
  /** Refusals worth an audit line (not the rate limit: that would flood the trail it protects). */
  audit: boolean;
}

/** Sub-commands that scan a cluster (and may create a plan). */
const COSTLY = new Set(['status', 'diagnose', 'failover', 'forget', 'join', 'restart', 'clusters']);

export interface CommandGate {
  checkCommand(intent: Intent, req: { user: string; channel: string }): Promise<GateRefusal | null>;
  /** May `channel` see what concerns `cluster` (plans, audit lines)? Unbound clusters: everywhere allowed. */
  visibleIn(cluster: string | undefined, channel: string): boolean;
  checkAction(
    planId: string,
    record: PlanRecord | null,
    req: { channel: string; messageTs: string },
  ): GateRefusal | null;
}

export function createCommandGate(deps: {
  clusters: ClusterRegistry;
  store: Pick<PlanStore, 'get'>;
  ratePerMinute: number;
  clock: Clock;
}): CommandGate {
  const limiter = createRateLimiter(deps.ratePerMinute, deps.clock);

  /** A refusal when `cluster` (a name, or the default) is bound to other channels than `channel`. */
  function binding(cluster: string | undefined, channel: string): GateRefusal | null {
    const r = deps.clusters.resolve(cluster);
    if (!r.ok) return null; // the command itself answers "unknown cluster"
    const bound = r.entry.def.channels ?? [];
    if (bound.length === 0 || bound.includes(channel)) return null;
    return {
      outcome: 'cluster-not-bound',
      text: `Cluster ${r.entry.name} is not bound to this channel: ask in one of its channels.`,
      audit: true,
    };
  }

  return {
    async checkCommand(intent, req) {
      let cluster: string | undefined;
      if (intent.kind === 'cancel') {
        const rec = isPlanId(intent.plan) ? await deps.store.get(intent.plan) : null;
        cluster = rec?.plan.cluster ?? intent.cluster;
      } else if ('cluster' in intent) cluster = intent.cluster;
      const bound =
        intent.kind === 'help' || intent.kind === 'clusters' ? null : binding(cluster, req.channel);
      if (bound) return bound;
      if (!COSTLY.has(intent.kind)) return null;
      const t = limiter.take(req.user);
      if (t.ok) return null;
      return {
        outcome: 'rate-limited',
        text: `Too many scans: at most ${deps.ratePerMinute} a minute per person. Try again in ${Math.ceil(t.retryInMs / 1000)} s.`,
        audit: false,
      };
    },

    visibleIn(cluster, channel) {
      return cluster === undefined || binding(cluster, channel) === null;
    },

    checkAction(planId, record, req) {
      if (!isPlanId(planId))
        return { outcome: 'bad-plan-id', text: 'This button does not carry a plan id.', audit: true };
      const ref = record?.chatRef;
      if (ref && (ref.channel !== req.channel || ref.ts !== req.messageTs))
        return {
          outcome: 'wrong-message',
          text: `Plan ${planId} can only be approved or rejected on the message where it was posted.`,
          audit: true,
        };
      return record ? binding(record.plan.cluster, req.channel) : null;
    },
  };
}
