import { asCodedError } from '../../core/errors.ts';
import type { PlanRecord, PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Finding, Plan } from '../../core/types.ts';
import type { Logger } from '../../logger.ts';
import type { ChatPort } from '../chat-port.ts';
import { hasCollapsedCommands, renderCommandList } from '../messages/commands.ts';
import { clip, esc, mention, renderMrkdwn, clock as timeOfDay } from '../messages/index.ts';

/** What posting a new plan's thread notes needs. */
export interface NoteDeps {
  chat: ChatPort;
  log: Logger;
}

/** A plan that shows a many-node command as one line gets the exact list in its thread (issue 19). */
export async function postCommandList(
  deps: NoteDeps,
  channel: string,
  ts: string,
  plan: Plan,
): Promise<void> {
  if (!hasCollapsedCommands(plan)) return;
  await deps.chat
    .post(channel, renderCommandList(plan), { threadTs: ts })
    .catch((err) => deps.log.warn({ err: asCodedError(err).message }, 'could not post the command list'));
}

/** Findings a plan does not answer, in its thread (diagnose and the watcher alike). */
export async function postOtherFindings(
  deps: NoteDeps,
  channel: string,
  ts: string,
  otherFindings: Finding[],
): Promise<void> {
  if (otherFindings.length === 0) return;
  const lines = otherFindings
    .slice(0, 15)
    .map((f) => `• *${f.severity}* ${esc(f.summary)}`)
    .join('\n');
  const more = otherFindings.length > 15 ? `\n_…${otherFindings.length - 15} more_` : '';
  await deps.chat
    .post(channel, renderMrkdwn(`Also seen, not part of this plan:\n${lines}${more}`, 'Other findings'), {
      threadTs: ts,
    })
    .catch((err) => deps.log.warn({ err: asCodedError(err).message }, 'could not post other findings'));
}

/**
 * Two approvable plans for one cluster (the watcher's and a `diagnose`, or two people asking) confuse an
 * incident: say so in the new plan's thread, naming the others. Nothing is withdrawn: the worker runs one
 * plan per cluster at a time and re-checks every step, so the second one approved stops or finds its steps done.
 */
export async function noteOtherOpenPlans(
  deps: NoteDeps & { store: Pick<PlanStore, 'list'>; clock: Clock },
  channel: string,
  threadTs: string,
  rec: PlanRecord,
): Promise<void> {
  try {
    const now = deps.clock.now();
    const open = (await deps.store.list({ cluster: rec.plan.cluster, status: 'proposed', limit: 10 })).filter(
      (r) => r.plan.id !== rec.plan.id && r.plan.expiresAt > now,
    );
    if (open.length === 0) return;
    const named = open
      .map(
        (r) =>
          `\`${esc(r.plan.id)}\` (${esc(clip(r.plan.title, 120))}; by ${mention(r.plan.requestedBy)} at ${timeOfDay(r.plan.createdAt)}${r.chatRef && r.chatRef.channel !== channel ? ` in <#${r.chatRef.channel}>` : ''})`,
      )
      .join(', ');
    const text = `:twisted_rightwards_arrows: ${open.length === 1 ? 'Another plan is' : `${open.length} other plans are`} still open for *${esc(rec.plan.cluster)}*: ${named}. Approve one: plans of a cluster run one at a time, and the next re-reads the cluster before each step, so it stops (or finds its steps done) once the first has acted. \`/redis cancel <plan-id>\` withdraws the one you do not want.`;
    await deps.chat.post(channel, renderMrkdwn(text, `Other open plans for ${rec.plan.cluster}`), {
      threadTs,
    });
  } catch (err) {
    deps.log.warn(
      { err: asCodedError(err).message, plan: rec.plan.id },
      'could not list the other open plans',
    );
  }
}
