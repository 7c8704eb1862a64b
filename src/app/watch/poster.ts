/**
 * The watcher's voice (issue 9): a `WatchPoster` on top of the chat service's own diagnose path, so an
 * incident's first message is exactly what `/redis diagnose` posts (same renderer, the plan stored as
 * proposed with its chatRef, so Approve / Reject, the approval rules and the worker's progress updates
 * work as for any plan). The watcher never approves.
 */

import type { PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Finding, Topology } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { ChatMessage, ChatPort } from '../chat-port.ts';
import { fitMessage, packLines } from '../messages/kit.ts';
import type { WatchPoster } from './ports.ts';

/** Who a plan proposed by the watcher is "requested by": no person, so any approver may approve it. */
export const WATCHER_USER = 'watcher';

/** What the chat service lends the watcher (src/app/chat/service.ts). */
export interface PlanProposer {
  /**
   * `diagnose` for a caller without a request: the plan with its buttons (stored, chatRef set, other
   * findings in its thread), or the status and why there is no plan. `preface` lines go on top.
   */
  proposePlan(input: {
    channel: string;
    cluster: string;
    topology: Topology;
    findings: Finding[];
    requestedBy: string;
    threadTs?: string;
    preface?: string[];
  }): Promise<{ ts: string; planId?: string }>;
  /** Re-renders a plan's message from the store (after its chatRef or status changed) and waits for it. */
  refreshPlan(planId: string): Promise<void>;
  /** Resolves when every pending plan-message / thread update (e.g. a plan's summary) has been sent. */
  idle(): Promise<void>;
}

export interface WatchPosterDeps {
  chat: ChatPort;
  proposer: PlanProposer;
  store: Pick<PlanStore, 'get' | 'list' | 'cancel' | 'setChatRef'>;
  clock: Clock;
  logger: Logger;
}

/** The watcher's lines (mrkdwn) as one message; the first line is the notification text. */
export function linesMessage(lines: string[], fallback: string): ChatMessage {
  const ls = lines.length > 0 ? lines : [fallback];
  return fitMessage(ls[0] ?? fallback, packLines(ls, 10, (n) => `_…${n} more lines left out._`).blocks);
}

export function createWatchPoster(deps: WatchPosterDeps): WatchPoster {
  const { chat, proposer, store, clock } = deps;
  const log = deps.logger.child({ component: 'watch-poster' });

  /** A plan nobody voted on yet is withdrawn: its message loses its buttons and says why. */
  async function withdraw(planId: string, preface?: string[]): Promise<void> {
    const rec = await store.get(planId);
    if (!rec) return;
    if (rec.status === 'proposed') {
      const r = await store.cancel(planId, WATCHER_USER, clock.now());
      if (!r.ok) log.info({ plan: planId, code: r.code }, 'plan not withdrawn (someone acted on it first)');
    }
    if (preface && rec.chatRef) await store.setChatRef(planId, { ...rec.chatRef, preface });
    await proposer.refreshPlan(planId);
  }

  return {
    async openIncident({ cluster, channel, topology, findings, lines }) {
      return proposer.proposePlan({
        channel,
        cluster,
        topology,
        findings,
        requestedBy: WATCHER_USER,
        preface: lines,
      });
    },

    async reply({ cluster, channel, threadTs, lines, offerPlan, withdraw: old }) {
      // A plan's summary (posted once its settle scan is done) goes before the watcher's next words.
      await proposer.idle();
      const withdrawOld = async (keep?: string) => {
        if (!old || old === keep) return;
        await withdraw(old).catch((err) =>
          log.warn({ err: (err as Error).message, plan: old }, 'could not withdraw the old plan'),
        );
      };
      if (!offerPlan) {
        await chat.post(channel, linesMessage(lines, `Cluster ${cluster}: update`), { threadTs });
        await withdrawOld();
        return {};
      }
      const posted = await proposer.proposePlan({
        channel,
        cluster,
        topology: offerPlan.topology,
        findings: offerPlan.findings,
        requestedBy: WATCHER_USER,
        threadTs,
        preface: lines,
      });
      await withdrawOld(posted.planId);
      return posted.planId ? { planId: posted.planId } : {};
    },

    async updateRoot({ channel, ts, lines, planId }) {
      const rec = planId ? await store.get(planId) : null;
      if (planId && rec?.chatRef?.ts === ts && rec.chatRef.channel === channel) {
        // The root carries the plan: withdraw it (if nobody voted) and put the words above it.
        await withdraw(planId, lines);
        return;
      }
      await chat.update(channel, ts, linesMessage(lines, 'Update'));
    },

    async notice({ cluster, channel, lines }) {
      await chat.post(channel, linesMessage(lines, `Cluster ${cluster}: notice`));
    },

    async planState(planId) {
      const rec = await store.get(planId);
      if (!rec) return null;
      return {
        status: rec.status,
        ...(rec.result?.finishedAt !== undefined ? { finishedAt: rec.result.finishedAt } : {}),
      };
    },

    async clusterBusy(cluster) {
      const active = await store.list({ cluster, status: ['approved', 'queued', 'running'], limit: 1 });
      return active.length > 0;
    },
  };
}
