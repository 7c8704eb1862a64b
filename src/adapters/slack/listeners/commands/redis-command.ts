import type { App } from '@slack/bolt';
import { SUB_COMMANDS } from '../../../../core/intents/parse-intent.ts';
import type { Logger } from '../../../../logger.ts';
import { commandsTotal } from '../../../../metrics.ts';
import { createRespond, errorMessage } from '../../respond.ts';
import type { ListenerDeps } from '../types.ts';

/**
 * `/redis …`: acked at once with an empty body (before any I/O: Slack gives 3 s), then handed to ChatService,
 * which answers through `respond` or the ChatPort. If ChatService fails anyway, the user is told so.
 */
export function registerRedisCommand(app: App, deps: ListenerDeps): void {
  const log = deps.logger.child({ component: 'slack-command' });
  app.command(deps.command ?? '/redis', async ({ command, ack, respond }) => {
    await ack().catch((err: unknown) => log.error({ err: String(err) }, 'ack failed'));
    await deps.acks.afterPendingAcks();
    const text = (command.text ?? '').trim();
    const respondFn = createRespond(
      respond,
      { channel: command.channel_id, user: command.user_id },
      deps.chat,
      log,
      deps.acks.afterPendingAcks,
    );
    try {
      await deps.chatService.handleCommand({
        user: command.user_id,
        channel: command.channel_id,
        text,
        respond: respondFn,
      });
    } catch (err) {
      commandsTotal.inc({ command: subCommand(text), outcome: 'transport-error' });
      log.error({ err: String(err), user: command.user_id, channel: command.channel_id }, 'command failed');
      await tellUser(log, () =>
        respondFn(errorMessage(`\`/redis ${text.slice(0, 80)}\``, err), { ephemeral: true }),
      );
    }
  });
}

/** The sub-command as a metrics label: a known name, or `other` (never the user's text: bounded cardinality). */
export function subCommand(text: string): string {
  const word = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  if (word === '') return 'help';
  return (SUB_COMMANDS as readonly string[]).includes(word) ? word : 'other';
}

export async function tellUser(log: Logger, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (err) {
    log.error({ err: String(err) }, 'could not tell the user about an error');
  }
}
