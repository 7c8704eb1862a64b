/**
 * A ChatPort that prints. Posts, updates (reprinted, marked "(updated)"), thread replies (indented under
 * their parent's title) and ephemeral messages go to the terminal, from whatever source: a command's answer,
 * the worker's progress, or a watcher that speaks first. It remembers the buttons of every message so the
 * console can press them by number.
 */
import type { ChatMessage, ChatPort, Respond } from '../../app/chat-port.ts';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { Clock } from '../../core/ports.ts';
import { type NumberedButton, paint, renderMessage, stripAnsi } from './render-text.ts';

export interface ConsoleChatPortOptions {
  /** ANSI colours (see `shouldColor`). */
  color: boolean;
  /** Where text goes until the console attaches its own printer (which keeps the prompt tidy). */
  print?: (text: string) => void;
  /** The channel the console sits in; posts to any other channel are labelled with it. */
  channel?: string;
  /** Name shown on the bot's messages. */
  botName?: string;
  width?: number;
  clock?: Clock;
  /** How an updated message is shown: only its changed lines (default) or all of it. */
  updates?: 'diff' | 'full';
}

/** A message still showing buttons. */
export interface ButtonTarget {
  channel: string;
  ts: string;
  /** First line of the message, to say which one a number presses. */
  title: string;
  threadTs?: string;
  buttons: NumberedButton[];
}

interface Stored {
  channel: string;
  ts: string;
  threadTs?: string;
  msg: ChatMessage;
  title: string;
}

export interface ConsoleChatPort extends ChatPort {
  /** Replaces the printer (the console installs one that redraws the prompt after each message). */
  setPrinter(print: (text: string) => void): void;
  /** The most recent message that still shows buttons, if any. */
  lastButtons(): ButtonTarget | undefined;
  /** A `respond` for a request made by `user` in `channel` (on the message `messageTs`, for actions). */
  responder(channel: string, user: string, messageTs?: string): Respond;
  /** Everything printed so far, without colours (scripts wait for and check text in it). */
  transcript(): string;
  /** Prints a console note (not a bot message). */
  note(text: string): void;
}

const INDENT = '    ';

export function createConsoleChatPort(opts: ConsoleChatPortOptions): ConsoleChatPort {
  const color = opts.color;
  const updates = opts.updates ?? 'diff';
  const clock = opts.clock ?? { now: () => Date.now() };
  const bot = opts.botName ?? 'redis-medic';
  let print = opts.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  let log = '';
  const messages = new Map<string, Stored>();
  /** ts of messages with buttons, oldest first. */
  const withButtons: string[] = [];
  let seq = 0;

  const out = (text: string) => {
    log += `${stripAnsi(text)}\n`;
    print(text);
  };

  const newTs = (): string => {
    seq += 1;
    const ms = clock.now();
    return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (seq % 1000)).padStart(6, '0')}`;
  };

  const clockText = () => new Date(clock.now()).toISOString().slice(11, 19);

  const channelLabel = (channel: string) =>
    opts.channel === undefined || channel === opts.channel ? '' : ` · #${channel}`;

  const titleOf = (msg: ChatMessage): string => {
    const first =
      renderMessage(msg, { color: false })
        .text.split('\n')
        .find((l) => l.trim() !== '') ?? msg.text;
    const t = first.trim();
    return t.length > 60 ? `${t.slice(0, 57)}…` : t;
  };

  const trackButtons = (ts: string, buttons: NumberedButton[]) => {
    const i = withButtons.indexOf(ts);
    if (i >= 0) withButtons.splice(i, 1);
    if (buttons.length > 0) withButtons.push(ts);
  };

  /**
   * Renders a message. For an update, only the lines that changed are printed under the message's title
   * (the worker updates a plan message at every step; reprinting 40 lines each time buries the news), the
   * whole message when most of it changed, nothing when nothing visible changed.
   */
  const show = (stored: Stored, tag: string, prev?: ChatMessage) => {
    const r = renderMessage(stored.msg, { color, width: opts.width ?? 80 });
    trackButtons(stored.ts, r.buttons);
    if (prev && updates === 'diff') {
      const before = new Map<string, number>();
      for (const l of renderMessage(prev, { color: false }).text.split('\n'))
        before.set(l, (before.get(l) ?? 0) + 1);
      const lines = r.text.split('\n');
      const changed = lines.filter((l) => {
        const k = stripAnsi(l);
        const n = before.get(k) ?? 0;
        if (n > 0) {
          before.set(k, n - 1);
          return false;
        }
        return true;
      });
      if (changed.length === 0) return;
      if (changed.length <= lines.length * 0.6) {
        const first = changed[0] === undefined ? '' : stripAnsi(changed[0]).trim();
        const title = first === stored.title ? [] : [paint(`   ${stored.title}`, 'dim', color)];
        r.text = [...title, ...changed].join('\n');
      }
    }
    const parent = stored.threadTs ? messages.get(stored.threadTs) : undefined;
    if (stored.threadTs) {
      const about = parent ? `thread of “${parent.title}”` : 'thread';
      const head = `${INDENT}↳ ${bot}${tag} · ${about}${channelLabel(stored.channel)} · ${clockText()}`;
      const body = r.text
        .split('\n')
        .map((l) => `${INDENT}${paint('│', 'dim', color)} ${l}`)
        .join('\n');
      out(`${paint(head, 'dim', color)}\n${body}`);
      return;
    }
    const head = `── ${bot}${tag}${channelLabel(stored.channel)} · ${clockText()} `;
    out(`${paint(head + '─'.repeat(Math.max(0, 60 - head.length)), 'dim', color)}\n${r.text}`);
  };

  const ephemeral = (channel: string, user: string, msg: ChatMessage) => {
    const r = renderMessage(msg, { color, width: opts.width ?? 80 });
    const head = `── ${bot} · only visible to ${user}${channelLabel(channel)} · ${clockText()} `;
    out(`${paint(head + '─'.repeat(Math.max(0, 60 - head.length)), 'dim', color)}\n${r.text}`);
    // An ephemeral message with buttons is pressable too (Slack shows them to that user).
    if (r.buttons.length > 0) {
      const ts = newTs();
      messages.set(ts, { channel, ts, msg, title: titleOf(msg) });
      trackButtons(ts, r.buttons);
    }
  };

  const port: ConsoleChatPort = {
    async post(channel, msg, o) {
      const ts = newTs();
      const stored: Stored = { channel, ts, msg, title: titleOf(msg) };
      if (o?.threadTs) stored.threadTs = o.threadTs;
      messages.set(ts, stored);
      show(stored, '');
      return { ts };
    },
    async update(channel, ts, msg) {
      const prev = messages.get(ts);
      // As Slack's chat.update: only a message shown in that channel (ChatPort conformance).
      if (prev?.channel !== channel)
        throw new CodedError(ErrorCodes.ChatMessageNotFound, `no message ${ts} in ${channel} to update`);
      const stored: Stored = { channel, ts, msg, title: titleOf(msg) };
      if (prev?.threadTs) stored.threadTs = prev.threadTs;
      messages.set(ts, stored);
      show(stored, ' (updated)', prev?.msg);
    },
    async postEphemeral(channel, user, msg) {
      ephemeral(channel, user, msg);
    },
    setPrinter(p) {
      print = p;
    },
    lastButtons() {
      const ts = withButtons[withButtons.length - 1];
      if (ts === undefined) return undefined;
      const m = messages.get(ts);
      if (!m) return undefined;
      const buttons = renderMessage(m.msg, { color: false }).buttons;
      return {
        channel: m.channel,
        ts,
        title: m.title,
        ...(m.threadTs ? { threadTs: m.threadTs } : {}),
        buttons,
      };
    },
    responder(channel, user, messageTs) {
      return async (msg, o) => {
        if (o?.replaceOriginal && messageTs && messages.has(messageTs)) {
          await port.update(channel, messageTs, msg);
          return;
        }
        if (o?.ephemeral === false) {
          await port.post(channel, msg);
          return;
        }
        ephemeral(channel, user, msg);
      };
    },
    transcript: () => log,
    note(text) {
      out(paint(text, 'dim', color));
    },
  };
  return port;
}
