/** The console's terminal side: the prompt, reading lines (echoed in scripts), y/N questions, printing. */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { paint } from './ansi.ts';

export interface ConsoleIoOptions {
  input: Readable;
  output: Writable;
  terminal: boolean;
  echo: boolean;
  color: boolean;
  /** Ends a pending read (Ctrl-C). */
  stop: AbortSignal;
  /** Whoever types now (the prompt shows it). */
  user: () => string;
}

export interface ConsoleIo {
  readonly rl: Interface;
  /** Prints a line; while the prompt shows, clears it first and redraws it with what was typed. */
  write(text: string): void;
  /** The next line, or null at the end of input or on stop. */
  nextLine(): Promise<string | null>;
  /** Asks a question with its own prompt; the answer, or null at the end of input. */
  ask(question: string): Promise<string | null>;
  /** Shows the current user in the prompt again (after `/as`). */
  refreshPrompt(): void;
}

interface IoState {
  o: ConsoleIoOptions;
  rl: Interface;
  lines: AsyncIterator<string>;
  atPrompt: boolean;
  /** The y/N question being asked, echoed instead of the user prompt. */
  echoPrompt: string | undefined;
}

const promptText = (s: IoState) => {
  const user = s.o.user();
  return s.o.color ? `${paint(user, 'bold', true)}> ` : `${user}> `;
};

function write(s: IoState, text: string): void {
  if (s.o.terminal && s.atPrompt) {
    // A message arrived while the prompt is showing: clear the line, print, redraw prompt + typed text.
    s.o.output.write(`\r\x1b[K${text}\n`);
    s.rl.prompt(true);
  } else {
    s.o.output.write(`${text}\n`);
  }
}

async function nextLine(s: IoState): Promise<string | null> {
  if (s.o.terminal) {
    s.atPrompt = true;
    s.rl.prompt();
  }
  const r = await Promise.race([
    s.lines.next(),
    new Promise<IteratorResult<string>>((resolve) =>
      s.o.stop.addEventListener('abort', () => resolve({ done: true, value: undefined })),
    ),
  ]);
  s.atPrompt = false;
  if (r.done) return null;
  if (s.o.echo) s.o.output.write(`${s.echoPrompt ?? `${s.o.user()}>`} ${r.value}\n`);
  return r.value;
}

async function ask(s: IoState, question: string): Promise<string | null> {
  s.rl.setPrompt(`${question} `);
  s.echoPrompt = question;
  try {
    return await nextLine(s);
  } finally {
    s.echoPrompt = undefined;
    s.rl.setPrompt(promptText(s));
  }
}

export function createConsoleIo(o: ConsoleIoOptions): ConsoleIo {
  const rl = createInterface({ input: o.input, output: o.output, terminal: o.terminal, historySize: 200 });
  const s: IoState = { o, rl, lines: rl[Symbol.asyncIterator](), atPrompt: false, echoPrompt: undefined };
  rl.setPrompt(promptText(s));
  return {
    rl,
    write: (text) => write(s, text),
    nextLine: () => nextLine(s),
    ask: (question) => ask(s, question),
    refreshPrompt: () => rl.setPrompt(promptText(s)),
  };
}
