/**
 * The console chat: a readline loop that speaks to the same ChatService as Slack. It reads `/redis …`
 * (or the sub-command alone), `/as <user>` to switch identity, a number to press a button of the last
 * message that has buttons (a confirm dialog becomes a y/N question), a few script directives
 * (`wait`, `wait-for`, `expect`) and `exit`. The same loop runs scripts: lines come from a file or stdin.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatMessage, ChatService, Respond, SectionBlock } from '../../app/chat-port.ts';
import type { ConsoleChatPort } from './console-chat-port.ts';
import { type NumberedButton, paint } from './render-text.ts';

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

const BUILTIN_HELP: [string, string][] = [
  ['/redis <sub-command>', 'or just the sub-command (status, diagnose, help, …)'],
  ['/as <user>', 'act as another Slack user id (e.g. /as U0SECOND)'],
  ['<n>', 'press button [n] of the last message that has buttons ("<n> y" confirms at once)'],
  ['wait <seconds>', 'pause'],
  ['wait-for <text> [--timeout <s>]', 'wait until <text> appears in the bot’s output'],
  ['expect <text>', 'fail unless the output of the previous command contains <text>'],
  ['exit', 'stop (also Ctrl-C / Ctrl-D)'],
];

class LineFailure extends Error {
  constructor(
    message: string,
    /** The bot already said so on screen: an interactive console need not repeat it. */
    readonly shown = false,
  ) {
    super(message);
  }
}

/**
 * The chat service never throws: every path answers. A script learns that a line failed from the answer's
 * leading emoji, the renderers' convention for bad input, refusals, an unreachable cluster and errors.
 */
const FAILURE_MARKERS = [
  ':thinking_face:',
  ':no_entry:',
  ':electric_plug:',
  ':warning: Something went wrong',
];

export function isFailureAnswer(msg: ChatMessage): boolean {
  const section = msg.blocks.find((b): b is SectionBlock => b.type === 'section' && b.text !== undefined);
  const first = section?.text?.text ?? msg.text;
  return FAILURE_MARKERS.some((m) => first.trimStart().startsWith(m));
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export async function runConsole(opts: RunConsoleOptions): Promise<ConsoleResult> {
  const { chatService, chatPort, input, output, channel } = opts;
  const terminal =
    opts.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY);
  const echo = opts.echo ?? !terminal;
  const stopOnFailure = opts.stopOnFailure ?? !terminal;
  const color = opts.color ?? false;
  const extra = opts.extraCommands ?? {};
  const waitForDefault = opts.waitForTimeoutS ?? 90;
  let user = opts.user;
  const failures: string[] = [];
  const stop = new AbortController();
  let exitReason: ConsoleExitReason | undefined;
  /** Transcript offset where the last command began (`expect` looks from here). */
  let commandMark = 0;
  /** Transcript offset `wait-for` searches from; moves past each match. */
  let waitCursor = 0;

  const rl = createInterface({ input, output, terminal, historySize: 200 });
  const promptText = () => (color ? `${paint(user, 'bold', true)}> ` : `${user}> `);
  rl.setPrompt(promptText());
  let atPrompt = false;
  /** The y/N question being asked, echoed instead of the user prompt. */
  let echoPrompt: string | undefined;

  const write = (text: string) => {
    if (terminal && atPrompt) {
      // A message arrived while the prompt is showing: clear the line, print, redraw prompt + typed text.
      output.write(`\r\x1b[K${text}\n`);
      rl.prompt(true);
    } else {
      output.write(`${text}\n`);
    }
  };
  chatPort.setPrinter(write);
  const note = (text: string) => chatPort.note(text);
  const fail = (msg: string): never => {
    throw new LineFailure(msg);
  };

  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | null> => {
    if (terminal) {
      atPrompt = true;
      rl.prompt();
    }
    const r = await Promise.race([
      lines.next(),
      new Promise<IteratorResult<string>>((resolve) =>
        stop.signal.addEventListener('abort', () => resolve({ done: true, value: undefined })),
      ),
    ]);
    atPrompt = false;
    if (r.done) return null;
    if (echo) output.write(`${echoPrompt ?? `${user}>`} ${r.value}\n`);
    return r.value;
  };

  const ask = async (question: string): Promise<string | null> => {
    rl.setPrompt(`${question} `);
    echoPrompt = question;
    try {
      return await nextLine();
    } finally {
      echoPrompt = undefined;
      rl.setPrompt(promptText());
    }
  };

  /** Answers given to the line being run (see isFailureAnswer). */
  let answers: ChatMessage[] = [];
  const respondFor = (ch: string, messageTs?: string): Respond => {
    const base = chatPort.responder(ch, user, messageTs);
    return async (msg, o) => {
      answers.push(msg);
      await base(msg, o);
    };
  };
  const checkAnswers = () => {
    const bad = answers.find(isFailureAnswer);
    answers = [];
    if (bad) {
      const line = bad.text.split('\n')[0] ?? 'the bot refused';
      throw new LineFailure(`the bot answered: ${line}`, true);
    }
  };

  const press = async (n: number, preConfirmed: boolean) => {
    const target = chatPort.lastButtons();
    if (!target) fail('no message with buttons to press');
    const button = target!.buttons.find((b: NumberedButton) => b.index === n);
    if (!button)
      fail(
        `no button [${n}]: the last message with buttons has ${target!.buttons.map((b) => `[${b.index}] ${b.label}`).join('  ')}`,
      );
    const b = button!;
    note(`[${b.index}] ${b.label} on “${target!.title}”`);
    if (b.confirm && !preConfirmed) {
      note(`${b.confirm.title}${b.confirm.text ? ` — ${b.confirm.text}` : ''}`);
      const answer = await ask(`${b.confirm.confirm}? [y/N]`);
      if (answer === null) return;
      if (!/^y(es)?$/i.test(answer.trim())) {
        note(`${b.confirm.deny}: nothing sent.`);
        return;
      }
    }
    if (b.url && !b.actionId) {
      note(`(link) ${b.url}`);
      return;
    }
    await chatService.handleAction({
      user,
      channel: target!.channel,
      messageTs: target!.ts,
      ...(target!.threadTs ? { threadTs: target!.threadTs } : {}),
      actionId: b.actionId,
      value: b.value,
      respond: respondFor(target!.channel, target!.ts),
    });
    checkAnswers();
  };

  const waitFor = async (args: string) => {
    const m = /^(.*?)(?:\s+--timeout\s+(\d+(?:\.\d+)?))?\s*$/.exec(args);
    const text = (m?.[1] ?? '').trim();
    if (!text) fail('usage: wait-for <text> [--timeout <seconds>]');
    const timeoutMs = Number(m?.[2] ?? waitForDefault) * 1000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = chatPort.transcript().indexOf(text, waitCursor);
      if (found >= 0) {
        waitCursor = found + text.length;
        return;
      }
      if (stop.signal.aborted) return;
      if (Date.now() > deadline) fail(`“${text}” did not appear within ${timeoutMs / 1000} s`);
      await sleep(100, stop.signal);
    }
  };

  const runLine = async (raw: string): Promise<void> => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [word = '', ...restWords] = line.split(/\s+/);
    const rest = line.slice(word.length).trim();
    const lower = word.toLowerCase();

    if (lower === 'exit' || lower === 'quit' || lower === '/exit') {
      exitReason = 'exit';
      return;
    }
    if (lower === '/as') {
      const who = restWords[0];
      if (!who || !/^[UW][A-Z0-9]{2,}$/.test(who)) fail('usage: /as <user id>, e.g. /as U0SECOND');
      user = who!;
      rl.setPrompt(promptText());
      note(`you are now ${user}`);
      return;
    }
    if (/^\d+$/.test(word) && restWords.length <= 1) {
      const yes = restWords[0] !== undefined && /^y(es)?$/i.test(restWords[0]);
      if (restWords.length === 1 && !yes) fail(`expected "${word}" or "${word} y"`);
      await press(Number(word), yes);
      return;
    }
    if (lower === 'wait') {
      const s = Number(rest);
      if (!Number.isFinite(s) || s < 0) fail('usage: wait <seconds>');
      await sleep(s * 1000, stop.signal);
      return;
    }
    if (lower === 'wait-for') {
      await waitFor(rest);
      return;
    }
    if (lower === 'expect') {
      if (!rest) fail('usage: expect <text>');
      if (!chatPort.transcript().slice(commandMark).includes(rest))
        fail(`expected “${rest}” in the output of the previous command`);
      return;
    }
    if (lower === 'console-help' || lower === '?') {
      const rows = [
        ...BUILTIN_HELP,
        ...Object.values(extra).map((c): [string, string] => [c.usage, c.about]),
      ];
      const w = Math.max(...rows.map(([u]) => u.length));
      note(rows.map(([u, a]) => `${u.padEnd(w)}  ${a}`).join('\n'));
      return;
    }
    const ext = extra[lower];
    if (ext) {
      commandMark = chatPort.transcript().length;
      await ext.run({ args: rest, user, channel, print: note, run: runLine });
      return;
    }
    if (word.startsWith('/') && lower !== '/redis')
      fail(`unknown command ${word}: try /redis help, or ? for console keys`);
    const text = lower === '/redis' ? rest : line;
    commandMark = chatPort.transcript().length;
    answers = [];
    await chatService.handleCommand({ user, channel, text, respond: respondFor(channel) });
    checkAnswers();
  };

  const onInterrupt = () => {
    if (terminal) output.write('\n');
    exitReason ??= 'interrupt';
    stop.abort();
  };
  rl.on('SIGINT', onInterrupt);

  if (opts.banner) output.write(`${opts.banner}\n`);
  try {
    while (exitReason === undefined) {
      const line = await nextLine();
      if (line === null) {
        exitReason ??= 'eof';
        break;
      }
      try {
        // Ctrl-C ends the loop at once, even in the middle of a slow command.
        await Promise.race([
          runLine(line),
          new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve())),
        ]);
      } catch (err) {
        const msg =
          err instanceof LineFailure ? err.message : err instanceof Error ? err.message : String(err);
        failures.push(`${line.trim()}: ${msg}`);
        if (!(terminal && err instanceof LineFailure && err.shown))
          write(color ? paint(`✖ ${msg}`, 'red', true) : `✖ ${msg}`);
        if (stopOnFailure) {
          exitReason = 'failure';
          break;
        }
      }
    }
  } finally {
    chatPort.setPrinter((text) => output.write(`${text}\n`));
    rl.off('SIGINT', onInterrupt);
    rl.close();
  }
  const reason = exitReason ?? 'eof';
  await opts.onExit?.(reason);
  return { reason, failures };
}
