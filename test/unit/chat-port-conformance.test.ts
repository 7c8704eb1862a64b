import { createConsoleChatPort } from '../../src/adapters/console/console-chat-port.ts';
import { createSlackChatPort, createSlackWebClient } from '../../src/adapters/slack/chat-port.ts';
import type { ChatPort } from '../../src/app/chat-port.ts';
import { createLogger } from '../../src/logger.ts';
import { describeChatPortConformance } from '../support/conformance/chat-port.ts';
import { memoryChat, textOf } from '../support/memory-chat.ts';
import { SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';

const logger = createLogger('silent');

// Slack's Web API through the stand-in: what Slack stores is what the channel shows.
describeChatPortConformance('Slack (Web API stand-in)', async () => {
  const slack = await startSlackStandIn({ postIntervalMs: 20 });
  const port = createSlackChatPort({
    client: createSlackWebClient({ token: slack.botToken, slackApiUrl: slack.url, logger }),
    logger,
    postIntervalMs: 20,
    backoffMs: 10,
    maxBackoffMs: 50,
    maxRetryAfterSec: 5,
  });
  const text = (m: Parameters<typeof SlackStandIn.textOf>[0]) => SlackStandIn.textOf(m);
  return {
    port,
    shown(channel, ts) {
      const m = slack.message(channel, ts);
      if (!m) return undefined;
      const parent = m.threadTs ? slack.message(channel, m.threadTs) : undefined;
      return { text: text(m), ...(parent ? { parent: text(parent) } : {}) };
    },
    channelTexts: (channel) => slack.messages.filter((m) => m.channel === channel).map(text),
    ephemerals: (channel, user) =>
      slack.ephemerals.filter((e) => e.channel === channel && e.user === user).map(text),
    refusals: [
      { name: 'unknown channel', arrange: () => 'not-a-channel', reason: 'channel_not_found' },
      {
        name: 'not a member',
        arrange: () => {
          slack.leaveChannel('C0LEFT');
          return 'C0LEFT';
        },
        reason: 'not_in_channel',
      },
      {
        name: 'rate limited for longer than it waits',
        arrange: () => {
          slack.failNext('chat.postMessage', { status: 429, retryAfter: 600 });
          return 'C0SLOWDOWN';
        },
        reason: 'ratelimited',
      },
    ],
    failNextPostOnce: () => slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }),
    close: async () => {
      await port.drain();
      await slack.close();
    },
  };
});

// The console: what it printed is what the user saw. Each call's printout is kept under the ts it concerns.
describeChatPortConformance('console', async () => {
  const chunks: string[] = [];
  const terminal = createConsoleChatPort({
    color: false,
    channel: 'C0CONFORM',
    print: (t) => chunks.push(t),
  });
  const byTs = new Map<string, string>();
  const printedBy = async <T>(call: () => Promise<T>, ts?: (r: T) => string): Promise<T> => {
    const from = chunks.length;
    const r = await call();
    const key = ts?.(r);
    if (key !== undefined && chunks.length > from) byTs.set(key, chunks.slice(from).join('\n'));
    return r;
  };
  const port: ChatPort = {
    post: (channel, msg, o) =>
      printedBy(
        () => terminal.post(channel, msg, o),
        (r) => r.ts,
      ),
    update: (channel, ts, msg) =>
      printedBy(
        () => terminal.update(channel, ts, msg),
        () => ts,
      ),
    postEphemeral: (channel, user, msg) => terminal.postEphemeral(channel, user, msg),
  };
  // The head line names the channel only when it is not the console's own.
  const inChannel = (chunk: string, channel: string) => {
    const head = chunk.split('\n')[0] ?? '';
    return channel === 'C0CONFORM' ? !head.includes(' · #') : head.includes(` · #${channel} · `);
  };
  const ephemeral = (chunk: string) => /· only visible to \S+/.test(chunk.split('\n')[0] ?? '');
  return {
    port,
    shown(channel, ts) {
      const chunk = byTs.get(ts);
      if (chunk === undefined || !inChannel(chunk, channel)) return undefined;
      const parent = /thread of “([^”]*)”/.exec(chunk.split('\n')[0] ?? '')?.[1];
      return { text: chunk, ...(parent !== undefined ? { parent } : {}) };
    },
    channelTexts: (channel) => chunks.filter((c) => !ephemeral(c) && inChannel(c, channel)),
    ephemerals: (channel, user) =>
      chunks.filter(
        (c) => inChannel(c, channel) && (c.split('\n')[0] ?? '').includes(`only visible to ${user} `),
      ),
  };
});

// The tests' own memory chat, which stands in for Slack behind the composed app.
describeChatPortConformance('memory chat (test support)', async () => {
  const chat = memoryChat();
  const current = (channel: string) => [...chat.messages.entries()].filter(([, m]) => m.channel === channel);
  return {
    port: chat.port,
    shown(channel, ts) {
      const m = chat.messages.get(ts);
      if (!m || m.channel !== channel) return undefined;
      const parent = m.threadTs ? chat.messages.get(m.threadTs) : undefined;
      return { text: textOf(m.msg), ...(parent ? { parent: textOf(parent.msg) } : {}) };
    },
    channelTexts: (channel) => current(channel).map(([, m]) => textOf(m.msg)),
    ephemerals: (channel, user) =>
      chat.ephemerals.filter((e) => e.channel === channel && e.user === user).map((e) => textOf(e.msg)),
  };
});
