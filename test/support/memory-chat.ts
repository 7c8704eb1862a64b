/** An in-memory ChatPort and respond() for tests that drive the composed app's chat service. */

import { SLACK_API_ERROR } from '../../src/adapters/slack/chat-port.ts';
import type { ButtonElement, ChatMessage, ChatPort, Respond } from '../../src/app/chat-port.ts';
import { assertWithinBlockKitLimits } from '../../src/app/messages/index.ts';
import { type ComposedApp, type ComposeOptions, composeApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { CodedError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/logger.ts';

export interface MemoryChatOptions {
  /**
   * Check every message against Block Kit limits and refuse an edit of a message that was never posted
   * in that channel (default true). Off, the port only records.
   */
  strict?: boolean;
}

/**
 * Our own ChatPort, in memory: records every message and edit (and, as text in `seen`, every message,
 * edit, ephemeral and reply through `respond`).
 */
export function memoryChat(opts: MemoryChatOptions = {}) {
  const strict = opts.strict ?? true;
  let n = 0;
  const messages = new Map<string, { channel: string; threadTs?: string; msg: ChatMessage; edits: number }>();
  const ephemerals: { channel: string; user: string; msg: ChatMessage }[] = [];
  const seen: string[] = [];
  const record = (m: ChatMessage) => {
    if (strict) assertWithinBlockKitLimits(m);
    seen.push(textOf(m));
  };
  const port: ChatPort = {
    async post(channel, msg, postOpts) {
      record(msg);
      n += 1;
      const ts = `1700000000.${String(n).padStart(6, '0')}`;
      messages.set(ts, {
        channel,
        ...(postOpts?.threadTs ? { threadTs: postOpts.threadTs } : {}),
        msg,
        edits: 0,
      });
      return { ts };
    },
    async update(channel, ts, msg) {
      record(msg);
      const m = messages.get(ts);
      if (strict && (!m || m.channel !== channel))
        throw new CodedError(SLACK_API_ERROR, `chat.update failed: message_not_found (${channel} ${ts})`, {
          method: 'chat.update',
          slackError: 'message_not_found',
        });
      if (!m) return;
      m.msg = msg;
      m.edits += 1;
    },
    async postEphemeral(channel, user, msg) {
      record(msg);
      ephemerals.push({ channel, user, msg });
    },
  };
  const respond: Respond = async (msg) => {
    record(msg);
  };
  const thread = (ts: string) =>
    [...messages.entries()].filter(([, m]) => m.threadTs === ts).map(([t, m]) => ({ ts: t, ...m }));
  return { port, messages, ephemerals, seen, respond, thread };
}

/** A respond() that records what the user was told. */
export function responder() {
  const said: { msg: ChatMessage; ephemeral: boolean }[] = [];
  const respond: Respond = async (msg, opts) => {
    assertWithinBlockKitLimits(msg);
    said.push({ msg, ephemeral: opts?.ephemeral ?? true });
  };
  return { said, respond, last: () => said.at(-1) };
}

export const textOf = (m: ChatMessage | undefined) => (m ? `${m.text}\n${JSON.stringify(m.blocks)}` : '');

export const buttonsOf = (m: ChatMessage): ButtonElement[] =>
  m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));

/** Polls `pred` every `intervalMs` until it holds; throws after `ms`. */
export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Loads `env` as the app does and composes the app around `chat`, logging nothing. */
export async function composeWithChat(
  env: NodeJS.ProcessEnv,
  chat: ChatPort,
  extra: ComposeOptions['extra'],
  role: ComposeOptions['role'] = 'all',
): Promise<ComposedApp> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return composeApp(loaded.config, { chat, logger: createLogger('silent'), role, extra });
}
