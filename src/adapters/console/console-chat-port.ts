/**
 * A ChatPort that prints. Posts, updates (reprinted, marked "(updated)"), thread replies (indented under
 * their parent's title) and ephemeral messages go to the terminal, from whatever source: a command's answer,
 * the worker's progress, or a watcher that speaks first. It remembers the buttons of every message so the
 * console can press them by number.
 */
import type { ChatPort, Respond } from '../../app/chat-port.ts';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { Clock } from '../../core/ports.ts';
import { paint } from './ansi.ts';
import type { NumberedButton } from './block-types.ts';
import {
  newTs,
  out,
  type PrintedMessages,
  type Stored,
  show,
  showEphemeral,
  titleOf,
} from './printed-messages.ts';
import { renderMessage } from './render-text.ts';

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

export function createConsoleChatPort(opts: ConsoleChatPortOptions): ConsoleChatPort {
  const s: PrintedMessages = {
    color: opts.color,
    width: opts.width ?? 80,
    updates: opts.updates ?? 'diff',
    clock: opts.clock ?? { now: () => Date.now() },
    bot: opts.botName ?? 'redis-medic',
    channel: opts.channel,
    print: opts.print ?? ((text: string) => process.stdout.write(`${text}\n`)),
    log: '',
    messages: new Map(),
    withButtons: [],
    seq: 0,
  };
  const port: ConsoleChatPort = {
    async post(channel, msg, o) {
      const ts = newTs(s);
      const stored: Stored = { channel, ts, msg, title: titleOf(msg) };
      if (o?.threadTs) stored.threadTs = o.threadTs;
      s.messages.set(ts, stored);
      show(s, stored, '');
      return { ts };
    },
    async update(channel, ts, msg) {
      const prev = s.messages.get(ts);
      // As Slack's chat.update: only a message shown in that channel (ChatPort conformance).
      if (prev?.channel !== channel)
        throw new CodedError(ErrorCodes.ChatMessageNotFound, `no message ${ts} in ${channel} to update`);
      const stored: Stored = { channel, ts, msg, title: titleOf(msg) };
      if (prev?.threadTs) stored.threadTs = prev.threadTs;
      s.messages.set(ts, stored);
      show(s, stored, ' (updated)', prev?.msg);
    },
    async postEphemeral(channel, user, msg) {
      showEphemeral(s, channel, user, msg);
    },
    setPrinter(p) {
      s.print = p;
    },
    lastButtons: () => lastButtons(s),
    responder(channel, user, messageTs) {
      return async (msg, o) => {
        if (o?.replaceOriginal && messageTs && s.messages.has(messageTs)) {
          await port.update(channel, messageTs, msg);
          return;
        }
        if (o?.ephemeral === false) {
          await port.post(channel, msg);
          return;
        }
        showEphemeral(s, channel, user, msg);
      };
    },
    transcript: () => s.log,
    note(text) {
      out(s, paint(text, 'dim', s.color));
    },
  };
  return port;
}

function lastButtons(s: PrintedMessages): ButtonTarget | undefined {
  const ts = s.withButtons[s.withButtons.length - 1];
  if (ts === undefined) return undefined;
  const m = s.messages.get(ts);
  if (!m) return undefined;
  const buttons = renderMessage(m.msg, { color: false }).buttons;
  return {
    channel: m.channel,
    ts,
    title: m.title,
    ...(m.threadTs ? { threadTs: m.threadTs } : {}),
    buttons,
  };
}
