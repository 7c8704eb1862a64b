import { describe, expect, it } from 'vitest';
import { createConsoleChatPort } from '../../src/adapters/console/console-chat-port.ts';
import type { ChatMessage } from '../../src/app/chat-port.ts';

const clock = { now: () => Date.UTC(2026, 10, 22, 1, 2, 3) };

function port() {
  const printed: string[] = [];
  const p = createConsoleChatPort({
    color: false,
    channel: 'C0SANDBOX',
    clock,
    print: (t) => printed.push(t),
  });
  return { p, printed };
}

const plan = (status: string, buttons = true): ChatMessage => ({
  text: 'plan',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'Plan p1 · sandbox' } },
    { type: 'section', text: { type: 'mrkdwn', text: status } },
    { type: 'section', text: { type: 'mrkdwn', text: '1/2 forget\n2/2 meet' } },
    ...(buttons
      ? [
          {
            type: 'actions' as const,
            elements: [
              {
                type: 'button' as const,
                text: { type: 'plain_text' as const, text: 'Approve' },
                action_id: 'plan_approve',
                value: 'p1',
              },
              {
                type: 'button' as const,
                text: { type: 'plain_text' as const, text: 'Reject' },
                action_id: 'plan_reject',
                value: 'p1',
              },
            ],
          },
        ]
      : []),
  ],
});

describe('the console chat port', () => {
  it('prints a post under a header with the bot name and time', async () => {
    const { p, printed } = port();
    await p.post('C0SANDBOX', plan('waiting'));
    expect(printed[0]).toMatch(
      /^── redis-medic · 01:02:03 ─+\nPlan p1 · sandbox\nwaiting\n1\/2 forget\n2\/2 meet\n\[1\] Approve {2}\[2\] Reject$/,
    );
  });

  it('labels a post to another channel with that channel, e.g. a watcher speaking first', async () => {
    const { p, printed } = port();
    await p.post('C0WATCH', {
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: ':red_circle: master down' } }],
    });
    expect(printed[0]).toContain('── redis-medic · #C0WATCH · 01:02:03');
    expect(printed[0]).toContain('● master down');
  });

  it('indents thread replies under the title of their parent', async () => {
    const { p, printed } = port();
    const { ts } = await p.post('C0SANDBOX', plan('waiting'));
    await p.post('C0SANDBOX', { text: 'step 1 done\nstep 2 running', blocks: [] }, { threadTs: ts });
    expect(printed[1]).toBe(
      '    ↳ redis-medic · thread of “Plan p1 · sandbox” · 01:02:03\n    │ step 1 done\n    │ step 2 running',
    );
  });

  describe('when a message is updated', () => {
    it('prints only the lines that changed, under the title', async () => {
      const { p, printed } = port();
      const { ts } = await p.post('C0SANDBOX', plan('waiting'));
      await p.update('C0SANDBOX', ts, plan('approved by U0SECOND'));
      expect(printed[1]).toMatch(
        /^── redis-medic \(updated\) · 01:02:03 ─+\n {3}Plan p1 · sandbox\napproved by U0SECOND$/,
      );
    });

    it('prints nothing when nothing visible changed', async () => {
      const { p, printed } = port();
      const { ts } = await p.post('C0SANDBOX', plan('waiting'));
      await p.update('C0SANDBOX', ts, plan('waiting'));
      expect(printed).toHaveLength(1);
    });

    it('prints the whole message when most of it changed', async () => {
      const { p, printed } = port();
      const { ts } = await p.post('C0SANDBOX', { text: 'a\nb', blocks: [] });
      await p.update('C0SANDBOX', ts, { text: 'c\nd', blocks: [] });
      expect(printed[1]).toMatch(/\(updated\)[^\n]*\nc\nd$/);
    });

    it('can be told to reprint every update whole', async () => {
      const printed: string[] = [];
      const p = createConsoleChatPort({
        color: false,
        clock,
        updates: 'full',
        print: (t) => printed.push(t),
      });
      const { ts } = await p.post('C1', plan('waiting'));
      await p.update('C1', ts, plan('approved'));
      expect(printed[1]).toContain('1/2 forget');
    });
  });

  describe('the buttons to press', () => {
    it('are those of the most recent message that still shows buttons', async () => {
      const { p } = port();
      const first = await p.post('C0SANDBOX', plan('waiting'));
      const second = await p.post('C0SANDBOX', plan('second plan'));
      expect(p.lastButtons()?.ts).toBe(second.ts);
      expect(p.lastButtons()?.buttons.map((b) => `${b.index} ${b.actionId} ${b.value}`)).toEqual([
        '1 plan_approve p1',
        '2 plan_reject p1',
      ]);
      await p.update('C0SANDBOX', second.ts, plan('approved', false));
      expect(p.lastButtons()?.ts).toBe(first.ts);
      await p.update('C0SANDBOX', first.ts, plan('rejected', false));
      expect(p.lastButtons()).toBeUndefined();
    });

    it('keep the thread of a reply that carries them', async () => {
      const { p } = port();
      const root = await p.post('C0SANDBOX', { text: 'incident', blocks: [] });
      const reply = await p.post('C0SANDBOX', plan('new plan'), { threadTs: root.ts });
      expect(p.lastButtons()).toMatchObject({ ts: reply.ts, threadTs: root.ts, channel: 'C0SANDBOX' });
    });
  });

  describe('answers through respond', () => {
    it('are ephemeral by default, public when asked, and replace the clicked message when asked', async () => {
      const { p, printed } = port();
      const { ts } = await p.post('C0SANDBOX', plan('waiting'));
      await p.responder('C0SANDBOX', 'U0ONCALL')({ text: ':no_entry: not you', blocks: [] });
      expect(printed[1]).toContain('only visible to U0ONCALL');
      expect(printed[1]).toContain('⛔ not you');
      await p.responder('C0SANDBOX', 'U0ONCALL')({ text: 'for all', blocks: [] }, { ephemeral: false });
      expect(printed[2]).toMatch(/^── redis-medic · 01:02:03/);
      await p.responder('C0SANDBOX', 'U0SECOND', ts)(plan('approved', false), { replaceOriginal: true });
      expect(printed[3]).toContain('(updated)');
      expect(p.lastButtons()).toBeUndefined();
    });
  });

  it('keeps a transcript without colours', async () => {
    const printed: string[] = [];
    const p = createConsoleChatPort({ color: true, clock, print: (t) => printed.push(t) });
    await p.post('C1', { text: ':red_circle: *critical* down', blocks: [] });
    expect(printed[0]).toMatch(/\x1b\[31m/);
    expect(p.transcript()).toContain('● critical down');
    expect(p.transcript()).not.toMatch(/\x1b/);
  });
});
