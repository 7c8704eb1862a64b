/** The worker role: the app with a chat port that only logs (progress reaches Slack through the bot). */
import type { ChatPort } from '../../app/chat-port.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import { composeApp } from '../app.ts';
import type { ComposedApp, ComposeOptions } from '../types.ts';

/** A ChatPort for the worker-only role: progress reaches Slack through the bot's event subscription, not from here. */
export function workerChatPort(logger: Logger): ChatPort {
  const log = logger.child({ component: 'worker-chat' });
  let n = 0;
  return {
    async post(channel, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: message not sent');
      n += 1;
      return { ts: `0.${n}` };
    },
    async update(channel, _ts, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: update not sent');
    },
    async postEphemeral(channel, _user, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: ephemeral not sent');
    },
  };
}

/** The app for ROLE=worker (also the worker test harness, test/support/worker-main.ts). */
export function composeWorker(
  config: Config,
  opts: Pick<ComposeOptions, 'logger' | 'startWithoutControl' | 'extra'>,
): Promise<ComposedApp> {
  return composeApp(config, { ...opts, chat: workerChatPort(opts.logger), role: 'worker' });
}
