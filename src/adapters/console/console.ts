/**
 * The console chat: a readline loop that speaks to the same ChatService as Slack. It reads `/redis …`
 * (or the sub-command alone), `/as <user>` to switch identity, a number to press a button of the last
 * message that has buttons (a confirm dialog becomes a y/N question), a few script directives
 * (`wait`, `wait-for`, `expect`) and `exit`. The same loop runs scripts: lines come from a file or stdin.
 */
import { paint } from './ansi.ts';
import { createConsoleIo } from './console-io.ts';
import { type ConsoleSession, runLine } from './console-lines.ts';
import type { ConsoleResult, RunConsoleOptions } from './console-options.ts';
import { LineFailure } from './line-failure.ts';

export type {
  ConsoleCommandContext,
  ConsoleExitReason,
  ConsoleResult,
  ExtraCommand,
  RunConsoleOptions,
} from './console-options.ts';
export { isFailureAnswer } from './line-failure.ts';

/** Runs one line, ended at once by Ctrl-C even in the middle of a slow command; a failure is recorded and shown. */
async function runRecorded(s: ConsoleSession, line: string, failures: string[]): Promise<boolean> {
  try {
    await Promise.race([
      runLine(s, line),
      new Promise<void>((resolve) => s.stop.signal.addEventListener('abort', () => resolve())),
    ]);
    return true;
  } catch (err) {
    const msg = err instanceof LineFailure ? err.message : err instanceof Error ? err.message : String(err);
    failures.push(`${line.trim()}: ${msg}`);
    if (!(s.terminal && err instanceof LineFailure && err.shown))
      s.io.write(s.opts.color ? paint(`✖ ${msg}`, 'red', true) : `✖ ${msg}`);
    return false;
  }
}

export async function runConsole(opts: RunConsoleOptions): Promise<ConsoleResult> {
  const { chatPort, input, output } = opts;
  const terminal =
    opts.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY);
  const stopOnFailure = opts.stopOnFailure ?? !terminal;
  const stop = new AbortController();
  // The prompt shows whoever types now: the session's user once the session exists.
  let current: ConsoleSession | undefined;
  const io = createConsoleIo({
    input,
    output,
    terminal,
    echo: opts.echo ?? !terminal,
    color: opts.color ?? false,
    stop: stop.signal,
    user: () => current?.user ?? opts.user,
  });
  const s: ConsoleSession = {
    opts,
    chatPort,
    io,
    stop,
    terminal,
    user: opts.user,
    exitReason: undefined,
    commandMark: 0,
    waitCursor: 0,
    answers: [],
  };
  current = s;
  chatPort.setPrinter(s.io.write);
  const failures: string[] = [];

  const onInterrupt = () => {
    if (terminal) output.write('\n');
    s.exitReason ??= 'interrupt';
    stop.abort();
  };
  s.io.rl.on('SIGINT', onInterrupt);

  if (opts.banner) output.write(`${opts.banner}\n`);
  try {
    while (s.exitReason === undefined) {
      const line = await s.io.nextLine();
      if (line === null) {
        s.exitReason ??= 'eof';
        break;
      }
      if (!(await runRecorded(s, line, failures)) && stopOnFailure) {
        s.exitReason = 'failure';
        break;
      }
    }
  } finally {
    chatPort.setPrinter((text) => output.write(`${text}\n`));
    s.io.rl.off('SIGINT', onInterrupt);
    s.io.rl.close();
  }
  const reason = s.exitReason ?? 'eof';
  await opts.onExit?.(reason);
  return { reason, failures };
}
