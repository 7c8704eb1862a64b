/** What the console loop takes and returns, and the shape of a console-only command. */
import type { Readable, Writable } from 'node:stream';
import type { ChatService } from '../../app/chat-port.ts';
import type { ConsoleChatPort } from './console-chat-port.ts';

/** What an extra (transport-level) command gets. Throw to report a failure. */
export interface ConsoleCommandContext {
  /** The text after the command word. */
  args: string;
  user: string;
  channel: string;
  /** Prints a console note. */
  print(text: string): void;
  /** Runs a line as if it had been typed (e.g. `status` after a chaos command). */
  run(line: string): Promise<void>;
}

export interface ExtraCommand {
  usage: string;
  about: string;
  run(ctx: ConsoleCommandContext): Promise<void>;
}

export interface RunConsoleOptions {
  chatService: ChatService;
  chatPort: ConsoleChatPort;
  input: Readable;
  output: Writable;
  /** Slack-shaped user id of whoever types; `/as` changes it. */
  user: string;
  channel: string;
  /** Called once when the loop ends (exit, end of input, Ctrl-C). */
  onExit?: (reason: ConsoleExitReason) => void | Promise<void>;
  /** Commands the console handles itself (sandbox: `wait-healthy`, `pids`). Keyed by their first word. */
  extraCommands?: Record<string, ExtraCommand>;
  /** Printed once before the first prompt. */
  banner?: string;
  /** Stop at the first failed line (scripts). Default: false when interactive, true otherwise. */
  stopOnFailure?: boolean;
  /** Show colours in the console's own notes. */
  color?: boolean;
  /** Interactive terminal (prompt, line editing). Default: input and output are TTYs. */
  terminal?: boolean;
  /** Echo each line read (scripts: the transcript shows what was typed). Default: !terminal. */
  echo?: boolean;
  /** Default timeout of `wait-for`, in seconds (default 90). */
  waitForTimeoutS?: number;
}

export type ConsoleExitReason = 'exit' | 'eof' | 'interrupt' | 'failure';

export interface ConsoleResult {
  reason: ConsoleExitReason;
  /** One line per failed input line. */
  failures: string[];
}
