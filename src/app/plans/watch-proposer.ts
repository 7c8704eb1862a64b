import type { ChatContext } from '../chat/context.ts';
import type { ChatMessage } from '../chat-port.ts';
import { fitMessage, packLines, renderPlan } from '../messages/index.ts';
import type { PlanProposer } from '../watch/poster.ts';
import { noPlanMessage } from './no-plan.ts';
import { postCommandList, postOtherFindings } from './plan-notes.ts';
import { idle, schedulePlanUpdate } from './plan-thread.ts';
import { proposeFromFindings, recordProposal, withKeysCounted } from './propose.ts';

type ProposerDeps = Pick<
  ChatContext,
  | 'chat'
  | 'store'
  | 'audit'
  | 'log'
  | 'clock'
  | 'clusters'
  | 'settings'
  | 'statusLinked'
  | 'planLinked'
  | 'threads'
>;

/** `lines` (mrkdwn) on top of a message; the first line becomes the notification text. */
function withPreface(msg: ChatMessage, preface: string[] | undefined): ChatMessage {
  if (!preface?.length) return msg;
  const top = packLines(preface, 2, (k) => `_…${k} more lines left out._`).blocks;
  return fitMessage(`${preface[0]} ${msg.text}`, [...top, ...msg.blocks]);
}

/** The diagnose path without a request, lent to the watcher (issue 9) through src/app/watch-poster.ts. */
export function createPlanProposer(deps: ProposerDeps): PlanProposer {
  const { chat, store, clock } = deps;

  const proposePlan: PlanProposer['proposePlan'] = async (input) => {
    const { channel, cluster, topology, findings, requestedBy, threadTs, preface } = input;
    const where = threadTs ? { threadTs } : undefined;
    const proposal = proposeFromFindings(topology, findings, {
      cluster,
      requestedBy,
      now: clock.now(),
      ttlMs: deps.settings.planTtlMs,
    });
    if (!proposal.ok) {
      const msg = deps.statusLinked(cluster, noPlanMessage(topology, findings, proposal), findings);
      const { ts } = await chat.post(channel, withPreface(msg, preface), where);
      return { ts };
    }
    const rec = await recordProposal(
      deps,
      await withKeysCounted(deps.clusters, proposal.plan, topology),
      requestedBy,
    );
    const msg = deps.planLinked(rec, renderPlan(rec, { now: clock.now(), ...(preface ? { preface } : {}) }));
    const { ts } = await chat.post(
      channel,
      preface?.length ? fitMessage(`${preface[0]} ${msg.text}`, msg.blocks) : msg,
      where,
    );
    await store.setChatRef(rec.plan.id, {
      channel,
      ts,
      threadTs: threadTs ?? ts,
      ...(preface?.length ? { preface } : {}),
    });
    await postCommandList(deps, channel, threadTs ?? ts, rec.plan);
    await postOtherFindings(deps, channel, threadTs ?? ts, proposal.others);
    return { ts, planId: rec.plan.id };
  };

  return {
    proposePlan,
    async refreshPlan(planId) {
      schedulePlanUpdate(deps.threads, planId);
      await idle(deps.threads);
    },
    idle: () => idle(deps.threads),
  };
}
