import type { RespondFn } from '@slack/bolt';
import type { ChatMessage, ChatPort, Respond } from '../../app/chat-port.ts';
import { asCodedError } from '../../core/errors.ts';
import type { Logger } from '../../logger.ts';

export interface RespondTarget {
  channel: string;
  user: string;
  /** The message a button was on: replaced through chat.update when the response_url fails. */
  messageTs?: string;
}

/**
 * ChatService's `Respond` over Slack: the request's response_url first (works in channels the bot has not
 * joined, and in both transports); when that fails (expired, used 5 times, Slack down) the Web API through
 * the ChatPort, so the person still gets the answer.
 */
export function createRespond(
  boltRespond: RespondFn | undefined,
  target: RespondTarget,
  chat: ChatPort,
  logger: Logger,
  /** Awaited before the response_url is called (the ack gate: answers yield to requests waiting for their ack). */
  beforeSend?: () => Promise<void>,
): Respond {
  return async (msg, opts = {}) => {
    const ephemeral = opts.ephemeral ?? true;
    if (boltRespond) {
      try {
        await beforeSend?.();
        await boltRespond({
          text: msg.text || ' ',
          ...(msg.blocks.length ? { blocks: msg.blocks as never } : {}),
          response_type: ephemeral ? 'ephemeral' : 'in_channel',
          ...(opts.replaceOriginal ? { replace_original: true } : { replace_original: false }),
        });
        return;
      } catch (err) {
        logger.warn(
          { err: asCodedError(err).message, channel: target.channel },
          'response_url failed, answering through the Web API',
        );
      }
    }
    if (opts.replaceOriginal && target.messageTs) return chat.update(target.channel, target.messageTs, msg);
    if (ephemeral) return chat.postEphemeral(target.channel, target.user, msg);
    await chat.post(target.channel, msg);
  };
}

/** The one place transport errors become words: used when ChatService itself failed (it should not). */
export function errorMessage(what: string, err: unknown): ChatMessage {
  const e = asCodedError(err);
  const text = `:warning: redis-medic could not handle ${what} (${e.code}). Nothing was changed on the cluster. Try again; if it keeps failing, the bot's logs say why.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }] };
}
