/**
 * `npm start` with SLACK_MODE unset: the console chat against the configured cluster(s).
 * The app is composed by src/compose/roles/console.ts; this runs the readline loop on stdin/stdout.
 */

import { runConsole } from './adapters/console/console.ts';
import { shouldColor } from './adapters/console/render-text.ts';
import { composeConsole } from './compose/roles/console.ts';
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
  const { app, chatPort } = await composeConsole(config, logger, { channel, output, color });
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
