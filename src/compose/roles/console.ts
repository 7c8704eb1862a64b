/** The console role (`npm start` with SLACK_MODE unset): the app with a ConsoleChatPort on a terminal. */
import { createConsoleChatPort } from '../../adapters/console/console-chat-port.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import { composeApp } from '../app.ts';
import type { ComposedApp } from '../types.ts';

export interface ConsoleApp {
  app: ComposedApp;
  chatPort: ReturnType<typeof createConsoleChatPort>;
}

/** Composes the app for the console in `channel`, chat service started; the caller runs the readline loop. */
export async function composeConsole(
  config: Config,
  logger: Logger,
  opts: { channel: string; output: NodeJS.WriteStream; color: boolean },
): Promise<ConsoleApp> {
  const { channel, output, color } = opts;
  const chatPort = createConsoleChatPort({
    color,
    channel,
    width: output.columns || 100,
    print: (t) => output.write(`${t}\n`),
  });
  // JSON log lines in the middle of the chat are noise: on a terminal, only warnings unless LOG_LEVEL says more.
  const log =
    (process.stderr.isTTY && output.isTTY && !process.env.LOG_LEVEL) || config.LOG_LEVEL === 'silent'
      ? logger.child({}, { level: config.LOG_LEVEL === 'silent' ? 'silent' : 'warn' })
      : logger;
  // The watcher speaks in the console's channel: a degraded cluster shows up without typing anything.
  const app = await composeApp(config, {
    chat: chatPort,
    logger: log,
    role: config.ROLE,
    extra: { watchChannel: channel },
  });
  await app.chatService.start();
  return { app, chatPort };
}
