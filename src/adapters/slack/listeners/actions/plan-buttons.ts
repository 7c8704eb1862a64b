import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionIds } from '../../../../app/chat-port.ts';
import { createRespond, errorMessage } from '../../respond.ts';
import { tellUser } from '../commands/redis-command.ts';
import type { ListenerDeps } from '../types.ts';

const PLAN_BUTTONS = new RegExp(
  `^(${ActionIds.approve}|${ActionIds.reject}|${ActionIds.acceptDataLoss}|${ActionIds.share})$`,
);

/**
 * Approve / Reject on a plan message: acked at once, then ChatService applies the approval guard. Refusals
 * (not an approver, expired, already running…) come back to the clicker as an ephemeral message.
 */
export function registerPlanButtons(app: App, deps: ListenerDeps): void {
  const log = deps.logger.child({ component: 'slack-action' });
  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: PLAN_BUTTONS },
    async ({ ack, body, action, respond }) => {
      await ack().catch((err: unknown) => log.error({ err: String(err) }, 'ack failed'));
      await deps.acks.afterPendingAcks();
      const channel = body.channel?.id ?? body.container?.channel_id ?? '';
      const messageTs = body.container?.message_ts ?? body.message?.ts ?? '';
      const threadTs = (body.container?.thread_ts as string | undefined) ?? body.message?.thread_ts;
      const respondFn = createRespond(
        respond,
        { channel, user: body.user.id, messageTs },
        deps.chat,
        log,
        deps.acks.afterPendingAcks,
      );
      try {
        await deps.chatService.handleAction({
          user: body.user.id,
          channel,
          messageTs,
          ...(threadTs ? { threadTs } : {}),
          actionId: action.action_id,
          // A value Slack would never send (not a string) is refused as "not a plan id" downstream.
          value: typeof action.value === 'string' ? action.value : '',
          respond: respondFn,
        });
      } catch (err) {
        log.error({ err: String(err), user: body.user.id, action: action.action_id }, 'action failed');
        await tellUser(log, () => respondFn(errorMessage('that click', err), { ephemeral: true }));
      }
    },
  );
}
