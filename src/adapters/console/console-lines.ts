/** One line typed at the console (or read from a script): commands, button presses and script directives. */
import type { ChatMessage, Respond } from '../../app/chat-port.ts';
import type { ConsoleChatPort } from './console-chat-port.ts';
import type { ConsoleIo } from './console-io.ts';
import type { ConsoleExitReason, RunConsoleOptions } from './console-options.ts';
import { fail, isFailureAnswer, LineFailure } from './line-failure.ts';

/** The running console's state: who types, where the transcript marks are, how the loop should end. */
export interface ConsoleSession {
  readonly opts: RunConsoleOptions;
  readonly chatPort: ConsoleChatPort;
  readonly io: ConsoleIo;
  readonly stop: AbortController;
  /** Interactive terminal (prompt, line editing), not a script. */
  readonly terminal: boolean;
  user: string;
  exitReason: ConsoleExitReason | undefined;
  /** Transcript offset where the last command began (`expect` looks from here). */
  commandMark: number;
  /** Transcript offset `wait-for` searches from; moves past each match. */
  waitCursor: number;
  /** Answers given to the line being run (see isFailureAnswer). */
  answers: ChatMessage[];
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

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

const note = (s: ConsoleSession, text: string) => s.chatPort.note(text);

function respondFor(s: ConsoleSession, ch: string, messageTs?: string): Respond {
  const base = s.chatPort.responder(ch, s.user, messageTs);
  return async (msg, o) => {
    s.answers.push(msg);
    await base(msg, o);
  };
}

function checkAnswers(s: ConsoleSession): void {
  const bad = s.answers.find(isFailureAnswer);
  s.answers = [];
  if (bad) {
    const line = bad.text.split('\n')[0] ?? 'the bot refused';
    throw new LineFailure(`the bot answered: ${line}`, true);
  }
}

async function press(s: ConsoleSession, n: number, preConfirmed: boolean): Promise<void> {
  const target = s.chatPort.lastButtons();
  if (!target) fail('no message with buttons to press');
  const button = target!.buttons.find((b) => b.index === n);
  if (!button)
    fail(
      `no button [${n}]: the last message with buttons has ${target!.buttons.map((b) => `[${b.index}] ${b.label}`).join('  ')}`,
    );
  const b = button!;
  note(s, `[${b.index}] ${b.label} on “${target!.title}”`);
  if (b.confirm && !preConfirmed) {
    note(s, `${b.confirm.title}${b.confirm.text ? ` — ${b.confirm.text}` : ''}`);
    const answer = await s.io.ask(`${b.confirm.confirm}? [y/N]`);
    if (answer === null) return;
    if (!/^y(es)?$/i.test(answer.trim())) {
      note(s, `${b.confirm.deny}: nothing sent.`);
      return;
    }
  }
  if (b.url && !b.actionId) {
    note(s, `(link) ${b.url}`);
    return;
  }
  await s.opts.chatService.handleAction({
    user: s.user,
    channel: target!.channel,
    messageTs: target!.ts,
    ...(target!.threadTs ? { threadTs: target!.threadTs } : {}),
    actionId: b.actionId,
    value: b.value,
    respond: respondFor(s, target!.channel, target!.ts),
  });
  checkAnswers(s);
}

async function waitFor(s: ConsoleSession, args: string): Promise<void> {
  const m = /^(.*?)(?:\s+--timeout\s+(\d+(?:\.\d+)?))?\s*$/.exec(args);
  const text = (m?.[1] ?? '').trim();
  if (!text) fail('usage: wait-for <text> [--timeout <seconds>]');
  const timeoutMs = Number(m?.[2] ?? s.opts.waitForTimeoutS ?? 90) * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = s.chatPort.transcript().indexOf(text, s.waitCursor);
    if (found >= 0) {
      s.waitCursor = found + text.length;
      return;
    }
    if (s.stop.signal.aborted) return;
    if (Date.now() > deadline) fail(`“${text}” did not appear within ${timeoutMs / 1000} s`);
    await sleep(100, s.stop.signal);
  }
}

function showHelp(s: ConsoleSession): void {
  const rows = [
    ...BUILTIN_HELP,
    ...Object.values(s.opts.extraCommands ?? {}).map((c): [string, string] => [c.usage, c.about]),
  ];
  const w = Math.max(...rows.map(([u]) => u.length));
  note(s, rows.map(([u, a]) => `${u.padEnd(w)}  ${a}`).join('\n'));
}

function switchUser(s: ConsoleSession, who: string | undefined): void {
  if (!who || !/^[UW][A-Z0-9]{2,}$/.test(who)) fail('usage: /as <user id>, e.g. /as U0SECOND');
  s.user = who!;
  s.io.refreshPrompt();
  note(s, `you are now ${s.user}`);
}

/** The console's own words (`wait`, `expect`, `?`, …); false when the line is not one of them. */
async function runDirective(s: ConsoleSession, lower: string, rest: string): Promise<boolean> {
  if (lower === 'wait') {
    const secs = Number(rest);
    if (!Number.isFinite(secs) || secs < 0) fail('usage: wait <seconds>');
    await sleep(secs * 1000, s.stop.signal);
  } else if (lower === 'wait-for') await waitFor(s, rest);
  else if (lower === 'expect') {
    if (!rest) fail('usage: expect <text>');
    if (!s.chatPort.transcript().slice(s.commandMark).includes(rest))
      fail(`expected “${rest}” in the output of the previous command`);
  } else if (lower === 'console-help' || lower === '?') showHelp(s);
  else return false;
  return true;
}

/** Runs one line; throws LineFailure (or any error) when it failed. */
export async function runLine(s: ConsoleSession, raw: string): Promise<void> {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return;
  const [word = '', ...restWords] = line.split(/\s+/);
  const rest = line.slice(word.length).trim();
  const lower = word.toLowerCase();

  if (lower === 'exit' || lower === 'quit' || lower === '/exit') {
    s.exitReason = 'exit';
    return;
  }
  if (lower === '/as') return switchUser(s, restWords[0]);
  if (/^\d+$/.test(word) && restWords.length <= 1) {
    const yes = restWords[0] !== undefined && /^y(es)?$/i.test(restWords[0]);
    if (restWords.length === 1 && !yes) fail(`expected "${word}" or "${word} y"`);
    await press(s, Number(word), yes);
    return;
  }
  if (await runDirective(s, lower, rest)) return;
  const { chatService, channel } = s.opts;
  const extra = s.opts.extraCommands ?? {};
  const ext = extra[lower];
  if (ext) {
    s.commandMark = s.chatPort.transcript().length;
    const print = (text: string) => note(s, text);
    await ext.run({ args: rest, user: s.user, channel, print, run: (l) => runLine(s, l) });
    return;
  }
  if (word.startsWith('/') && lower !== '/redis')
    fail(`unknown command ${word}: try /redis help, or ? for console keys`);
  const text = lower === '/redis' ? rest : line;
  s.commandMark = s.chatPort.transcript().length;
  s.answers = [];
  await chatService.handleCommand({ user: s.user, channel, text, respond: respondFor(s, channel) });
  checkAnswers(s);
}
