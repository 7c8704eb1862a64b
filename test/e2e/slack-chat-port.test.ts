import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSlackChatPort,
  createSlackWebClient,
  type LostMessage,
  SLACK_API_ERROR,
  type SlackChatPort,
} from '../../src/adapters/slack/chat-port.ts';
import type { ChatMessage } from '../../src/app/chat-port.ts';
import { createLogger } from '../../src/logger.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';

const logger = createLogger('silent');
const msg = (text: string): ChatMessage => ({
  text,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
});

describe('Slack ChatPort (WebClient against the Web API stand-in)', () => {
  let slack: SlackStandIn;
  let port: SlackChatPort;
  let lost: LostMessage[];

  beforeAll(async () => {
    slack = await startSlackStandIn({ postIntervalMs: 1000 });
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(() => {
    lost = [];
    port = createSlackChatPort({
      client: createSlackWebClient({ token: slack.botToken, slackApiUrl: slack.url, logger }),
      logger,
      backoffMs: 20,
      maxBackoffMs: 100,
      onLost: (l) => {
        lost.push(l);
      },
    });
  });

  it('posts, threads and updates a message', async () => {
    const { ts } = await port.post('C0POST', msg('plan'));
    await port.post('C0POST', msg('step 1'), { threadTs: ts });
    await port.update('C0POST', ts, msg('plan: running'));
    expect(currentText(slack, 'C0POST', ts)).toContain('plan: running');
    expect(slack.thread('C0POST', ts).map((m) => m.text)).toEqual(['step 1']);
  });

  it('keeps one channel strictly in order and paces posts to one per second, as Slack asks', async () => {
    const started = Date.now();
    const { ts } = await port.post('C0ORDER', msg('head'));
    await Promise.all([1, 2, 3].map((i) => port.post('C0ORDER', msg(`step ${i}`), { threadTs: ts })));
    expect(slack.thread('C0ORDER', ts).map((m) => m.text)).toEqual(['step 1', 'step 2', 'step 3']);
    // 4 posts, 1 s apart, and never a 429 from the stand-in
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(slack.calls.filter((c) => c.args.channel === 'C0ORDER' && c.status === 429)).toHaveLength(0);
  });

  it('collapses updates of one message queued behind other sends into the latest version', async () => {
    const { ts } = await port.post('C0COALESCE', msg('plan'));
    const before = slack.calls.filter((c) => c.method === 'chat.update').length;
    // the thread post waits ~1 s for the channel's pacing; the updates queue behind it
    const thread = port.post('C0COALESCE', msg('step 1'), { threadTs: ts });
    const updates = [1, 2, 3, 4, 5].map((i) => port.update('C0COALESCE', ts, msg(`plan: ${i}/5`)));
    await Promise.all([thread, ...updates]);
    expect(slack.calls.filter((c) => c.method === 'chat.update').length - before).toBe(1);
    expect(currentText(slack, 'C0COALESCE', ts)).toBe('plan: 5/5');
  });

  it('never collapses an update across a post queued after it', async () => {
    const { ts } = await port.post('C0NOREORDER', msg('plan'));
    const sent: string[] = [];
    const a = port.post('C0NOREORDER', msg('step 1'), { threadTs: ts }).then(() => sent.push('post 1'));
    const u1 = port.update('C0NOREORDER', ts, msg('plan: 1 done')).then(() => sent.push('update 1'));
    const b = port.post('C0NOREORDER', msg('step 2'), { threadTs: ts }).then(() => sent.push('post 2'));
    const u2 = port.update('C0NOREORDER', ts, msg('plan: 2 done')).then(() => sent.push('update 2'));
    await Promise.all([a, u1, b, u2]);
    expect(sent).toEqual(['post 1', 'update 1', 'post 2', 'update 2']);
    expect(slack.message('C0NOREORDER', ts)?.edits.map((e) => e.text)).toEqual([
      'plan: 1 done',
      'plan: 2 done',
    ]);
  });

  it('honours Retry-After on a 429 and then delivers', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const { ts } = await port.post('C0RATE', msg('after the limit'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(slack.message('C0RATE', ts)?.text).toBe('after the limit');
    expect(lost).toEqual([]);
  });

  it('retries a 5xx with backoff and then delivers', async () => {
    slack.failNext('chat.update', { status: 503 }, 2);
    const { ts } = await port.post('C0FIVE', msg('v1'));
    await port.update('C0FIVE', ts, msg('v2'));
    expect(slack.message('C0FIVE', ts)?.edits.at(-1)?.text).toBe('v2');
    const updates = slack.calls.filter((c) => c.method === 'chat.update' && c.args.channel === 'C0FIVE');
    expect(updates.map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it('gives up after a bounded number of 5xx, and the lost report is handed over, not dropped', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 10);
    await expect(port.post('C0LOST', msg('step 2 done'))).rejects.toMatchObject({ code: SLACK_API_ERROR });
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({
      method: 'chat.postMessage',
      channel: 'C0LOST',
      error: 'http_500',
      attempts: 6,
    });
    expect(lost[0]?.text).toBe('step 2 done');
    // a failed message does not block the next one in the channel
    const { ts } = await port.post('C0LOST', msg('next'));
    expect(slack.message('C0LOST', ts)?.text).toBe('next');
  });

  it('does not retry a platform error such as invalid_blocks, and reports it as lost', async () => {
    const tooMany: ChatMessage = {
      text: 'huge',
      blocks: Array.from({ length: 51 }, (_, i) => ({
        type: 'section',
        text: { type: 'mrkdwn', text: `b${i}` },
      })),
    };
    await expect(port.post('C0BLOCKS', tooMany)).rejects.toMatchObject({ code: SLACK_API_ERROR });
    expect(slack.calls.filter((c) => c.args.channel === 'C0BLOCKS').map((c) => c.error)).toEqual([
      'invalid_blocks',
    ]);
    expect(lost[0]?.error).toBe('invalid_blocks');
  });

  it('never sends the bot token anywhere but the Authorization header', async () => {
    await port.postEphemeral('C0EPH', 'U0SOMEONE', msg('only you'));
    expect(slack.ephemerals.at(-1)).toMatchObject({ channel: 'C0EPH', user: 'U0SOMEONE', text: 'only you' });
    expect(JSON.stringify(slack.calls)).not.toContain(slack.botToken);
  });

  it('is refused by Slack with a wrong token, and says so', async () => {
    const bad = createSlackChatPort({
      client: createSlackWebClient({ token: 'xoxb-wrong', slackApiUrl: slack.url, logger }),
      logger,
    });
    await expect(bad.post('C0AUTH', msg('x'))).rejects.toThrow(/invalid_auth/);
  });
});

function currentText(slack: SlackStandIn, channel: string, ts: string): string {
  const m = slack.message(channel, ts);
  return m ? (m.edits.at(-1)?.text ?? m.text) : '';
}
