/** What the console chat port has printed: the messages by ts, their buttons, and how each is drawn. */
import type { ChatMessage } from '../../app/chat-port.ts';
import type { Clock } from '../../core/ports.ts';
import { paint, stripAnsi } from './ansi.ts';
import type { NumberedButton } from './block-types.ts';
import { renderMessage } from './render-text.ts';

export interface Stored {
  channel: string;
  ts: string;
  threadTs?: string;
  msg: ChatMessage;
  title: string;
}

/** The port's state, shared by the functions below. */
export interface PrintedMessages {
  color: boolean;
  width: number;
  /** How an updated message is shown: only its changed lines or all of it. */
  updates: 'diff' | 'full';
  clock: Clock;
  bot: string;
  /** The console's own channel; posts to any other channel are labelled with it. */
  channel: string | undefined;
  print: (text: string) => void;
  /** Everything printed so far, without colours. */
  log: string;
  messages: Map<string, Stored>;
  /** ts of messages with buttons, oldest first. */
  withButtons: string[];
  seq: number;
}

const INDENT = '    ';

export function out(s: PrintedMessages, text: string): void {
  s.log += `${stripAnsi(text)}\n`;
  s.print(text);
}

/** A Slack-like message ts, unique within the process. */
export function newTs(s: PrintedMessages): string {
  s.seq += 1;
  const ms = s.clock.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (s.seq % 1000)).padStart(6, '0')}`;
}

const clockText = (s: PrintedMessages) => new Date(s.clock.now()).toISOString().slice(11, 19);

const channelLabel = (s: PrintedMessages, channel: string) =>
  s.channel === undefined || channel === s.channel ? '' : ` · #${channel}`;

/** First line of a message, to say which one a number presses. */
export function titleOf(msg: ChatMessage): string {
  const first =
    renderMessage(msg, { color: false })
      .text.split('\n')
      .find((l) => l.trim() !== '') ?? msg.text;
  const t = first.trim();
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

export function trackButtons(s: PrintedMessages, ts: string, buttons: NumberedButton[]): void {
  const i = s.withButtons.indexOf(ts);
  if (i >= 0) s.withButtons.splice(i, 1);
  if (buttons.length > 0) s.withButtons.push(ts);
}

/** The rendered lines not in `prev` (each line of `prev` matches once). */
function changedLines(lines: string[], prev: ChatMessage): string[] {
  const before = new Map<string, number>();
  for (const l of renderMessage(prev, { color: false }).text.split('\n'))
    before.set(l, (before.get(l) ?? 0) + 1);
  return lines.filter((l) => {
    const k = stripAnsi(l);
    const n = before.get(k) ?? 0;
    if (n > 0) {
      before.set(k, n - 1);
      return false;
    }
    return true;
  });
}

const rule = (s: PrintedMessages, head: string) =>
  paint(head + '─'.repeat(Math.max(0, 60 - head.length)), 'dim', s.color);

/**
 * Renders a message. For an update, only the lines that changed are printed under the message's title
 * (the worker updates a plan message at every step; reprinting 40 lines each time buries the news), the
 * whole message when most of it changed, nothing when nothing visible changed.
 */
export function show(s: PrintedMessages, stored: Stored, tag: string, prev?: ChatMessage): void {
  const r = renderMessage(stored.msg, { color: s.color, width: s.width });
  trackButtons(s, stored.ts, r.buttons);
  if (prev && s.updates === 'diff') {
    const lines = r.text.split('\n');
    const changed = changedLines(lines, prev);
    if (changed.length === 0) return;
    if (changed.length <= lines.length * 0.6) {
      const first = changed[0] === undefined ? '' : stripAnsi(changed[0]).trim();
      const title = first === stored.title ? [] : [paint(`   ${stored.title}`, 'dim', s.color)];
      r.text = [...title, ...changed].join('\n');
    }
  }
  if (stored.threadTs) {
    const parent = s.messages.get(stored.threadTs);
    const about = parent ? `thread of “${parent.title}”` : 'thread';
    const head = `${INDENT}↳ ${s.bot}${tag} · ${about}${channelLabel(s, stored.channel)} · ${clockText(s)}`;
    const body = r.text
      .split('\n')
      .map((l) => `${INDENT}${paint('│', 'dim', s.color)} ${l}`)
      .join('\n');
    out(s, `${paint(head, 'dim', s.color)}\n${body}`);
    return;
  }
  out(s, `${rule(s, `── ${s.bot}${tag}${channelLabel(s, stored.channel)} · ${clockText(s)} `)}\n${r.text}`);
}

/** An ephemeral message: printed with whom it is for; with buttons it is pressable too (Slack shows them to that user). */
export function showEphemeral(s: PrintedMessages, channel: string, user: string, msg: ChatMessage): void {
  const r = renderMessage(msg, { color: s.color, width: s.width });
  const head = `── ${s.bot} · only visible to ${user}${channelLabel(s, channel)} · ${clockText(s)} `;
  out(s, `${rule(s, head)}\n${r.text}`);
  if (r.buttons.length > 0) {
    const ts = newTs(s);
    s.messages.set(ts, { channel, ts, msg, title: titleOf(msg) });
    trackButtons(s, ts, r.buttons);
  }
}
