/**
 * `npm start` with SLACK_MODE unset: the console chat against the configured cluster(s).
 * Composes the app with a ConsoleChatPort and runs the readline loop on stdin/stdout.
 */

import { runConsole } from './adapters/console/console.ts';
import { createConsoleChatPort } from './adapters/console/console-chat-port.ts';
import { shouldColor } from './adapters/console/render-text.ts';
import { composeApp } from './compose.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export interface StartConsoleOptions {
  /** Who types; default CONSOLE_USER, else the first approver, else U0CONSOLE. */
  user?: string;
  /** Channel id the console sits in; default WATCH_CHANNEL, else C0CONSOLE. */
  channel?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Runs until `exit`, end of input or Ctrl-C; then closes the app. Resolves with the process exit code. */
export async function startConsoleApp(
  config: Config,
  logger: Logger,
  opts: StartConsoleOptions = {},
): Promise<number> {
  const input = (opts.input ?? process.stdin) as NodeJS.ReadStream;
  const output = (opts.output ?? process.stdout) as NodeJS.WriteStream;
  const color = shouldColor(output);
  const channel = opts.channel ?? config.WATCH_CHANNEL ?? 'C0CONSOLE';
  const user = opts.user ?? process.env.CONSOLE_USER ?? config.APPROVERS[0] ?? 'U0CONSOLE';
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
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  const onSignal = () => {
    void close().finally(() => process.exit(143));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal); // a terminal's Ctrl-C goes to readline instead; this is for piped input
  try {
    const result = await runConsole({
      chatService: app.chatService,
      chatPort,
      input,
      output,
      user,
      channel,
      color,
      banner: `redis-medic console · cluster(s): ${app.clusters.names().join(', ')} · you are ${user} · type "help", "?" for console keys, "exit" to leave`,
    });
    return result.failures.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await close();
  }
}
