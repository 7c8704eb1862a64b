import { asCodedError, ErrorCodes } from '../../core/errors.ts';
import type { AuditLog, PlanRecord } from '../../core/plan-record.ts';
import type { Logger } from '../../logger.ts';
import type { ChatMessage, ChatPort, Respond } from '../chat-port.ts';
import type { ClusterEntry } from '../clusters.ts';
import type { GateRefusal } from '../command-gate.ts';
import { renderNotice } from '../messages/index.ts';

/** What answering needs: the chat, the audit, a logger, and whether the control Redis answers. */
export interface AnswerDeps {
  chat: ChatPort;
  audit: AuditLog;
  log: Logger;
  /** Does the control Redis answer? Asked when something unexpected fails (default: not asked). */
  controlHealthy?: () => Promise<boolean>;
}

/** Who asked, where, and how to answer them. */
export interface Asker {
  channel: string;
  user: string;
  respond: Respond;
}

export const refusal = (text: string): ChatMessage => renderNotice(text, ':no_entry:');

/** Answers through respond; when that fails, as an ephemeral message (or a post). Never throws. */
export async function answer(
  deps: AnswerDeps,
  req: Asker,
  msg: ChatMessage,
  ephemeral = true,
): Promise<void> {
  try {
    await req.respond(msg, { ephemeral });
  } catch (err) {
    deps.log.warn({ err: asCodedError(err).message }, 'respond failed; trying an ephemeral message');
    try {
      if (ephemeral) await deps.chat.postEphemeral(req.channel, req.user, msg);
      else await deps.chat.post(req.channel, msg);
    } catch (err2) {
      deps.log.error({ err: asCodedError(err2).message }, 'could not answer the user');
    }
  }
}

/** Answers `msg` privately and returns the command's outcome for the metrics. */
export async function refuse(
  deps: AnswerDeps,
  req: Asker,
  msg: ChatMessage,
  outcome = 'refused',
): Promise<string> {
  await answer(deps, req, msg);
  return outcome;
}

/** Posts in the channel; when the bot cannot post there, answers through respond (visible in channel). */
export async function postPublic(
  deps: AnswerDeps,
  req: Asker,
  msg: ChatMessage,
  threadTs?: string,
): Promise<string | undefined> {
  try {
    const { ts } = await deps.chat.post(req.channel, msg, threadTs ? { threadTs } : undefined);
    return ts;
  } catch (err) {
    const e = asCodedError(err);
    deps.log.warn({ err: e.message, channel: req.channel }, 'post failed; answering through respond');
    await answer(deps, req, msg, false);
    // Not a member: Slack still takes the slash command's reply, but threads and updates need the bot in.
    const slackError = String(e.details?.slackError ?? '');
    if (['not_in_channel', 'channel_not_found'].includes(slackError))
      await answer(
        deps,
        req,
        renderNotice(
          `I am not a member of this channel (Slack says ${slackError}), so that answer came through the slash command's reply.`,
          ':wave:',
          'Plans still work, but their progress, their summary and the buttons’ updates need me in the channel: `/invite @redis-medic` here, then ask again.',
        ),
      );
    return undefined;
  }
}

/** Appends to the audit; a failed append is logged, never in the way of the answer. */
export async function auditSafe(
  deps: Pick<AnswerDeps, 'audit' | 'log'>,
  entry: Parameters<AuditLog['record']>[0],
): Promise<void> {
  try {
    await deps.audit.record(entry);
  } catch (err) {
    deps.log.warn({ err: asCodedError(err).message, what: entry.what }, 'audit append failed');
  }
}

/** `what` could not be done because the control Redis is down: say so, and what still works. */
function controlDown(what: string, slow: boolean): ChatMessage {
  return renderNotice(
    `${what}: the control Redis, where redis-medic keeps plans, approvals and the audit, does not answer, so it cannot record approvals right now.`,
    ':electric_plug:',
    `${slow ? 'It may only be slow: what you asked may still be recorded when it answers, so check `/redis plans` then.' : 'Nothing was changed.'} \`/redis status\` still works; try again once the control Redis is back (the bot’s /readyz says \`degraded\` until then).`,
  );
}

/** The one place where an error (its code) becomes the words a person reads. */
export async function errorMessage(
  deps: AnswerDeps,
  err: unknown,
  what = 'Could not do that',
): Promise<ChatMessage> {
  const e = asCodedError(err);
  if (
    e.code === ErrorCodes.Unexpected &&
    deps.controlHealthy &&
    !(await deps.controlHealthy().catch(() => false))
  )
    return controlDown(what, /timed out/i.test(e.message));
  switch (e.code) {
    case ErrorCodes.UnknownCluster:
      return refusal(e.message);
    case ErrorCodes.ClusterUnreachable:
      return renderNotice(e.message, ':electric_plug:', 'Nothing was changed.');
    case ErrorCodes.PlanNotFound:
      return renderNotice(e.message, ':mag:');
    default:
      return renderNotice(
        `Something went wrong (${e.code}): ${e.message.slice(0, 500)}`,
        ':warning:',
        'Nothing was changed. The details are in the bot log.',
      );
  }
}

/** A cluster that could not be read: what went wrong, and its seeds. */
export function unreachable(entry: ClusterEntry, error: string): ChatMessage {
  return renderNotice(
    `Could not read cluster ${entry.name}: ${error}`,
    ':electric_plug:',
    `Seeds: ${entry.def.seeds.join(', ') || '—'}. Nothing was changed.`,
  );
}

/** Answers a refusal of the gate (channel binding, rate limit, wrong message), audited when it says so. */
export async function gateRefused(
  deps: AnswerDeps,
  req: Asker,
  g: GateRefusal,
  detail: string,
  record?: PlanRecord | null,
): Promise<void> {
  if (g.audit)
    await auditSafe(deps, {
      who: req.user,
      what: 'refusal',
      ...(record ? { cluster: record.plan.cluster, plan: record.plan.id } : {}),
      outcome: g.outcome,
      detail: `in ${req.channel}: ${detail}`,
    });
  await answer(deps, req, refusal(g.text));
}
