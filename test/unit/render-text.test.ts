import { describe, expect, it } from 'vitest';
import {
  type Block,
  renderMessage,
  renderMrkdwn,
  shouldColor,
  stripAnsi,
  visibleWidth,
} from '../../src/adapters/console/render-text.ts';

const planMessage: Block[] = [
  { type: 'header', text: { type: 'plain_text', text: 'Plan for cluster default' } },
  {
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: '*Risk*\nmedium' },
      { type: 'mrkdwn', text: '*Requested by*\n<@U0ONCALL>' },
      { type: 'mrkdwn', text: '*Steps*\n3' },
      { type: 'mrkdwn', text: '*Expires*\nin 15 min' },
    ],
  },
  {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: ':red_circle: *critical* node 127.0.0.1:7001 failed\n:warning: *warning* master without replica\n:information_source: info line',
    },
  },
  {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: 'Commands:\n```127.0.0.1:7002 CLUSTER FORGET abc\n127.0.0.1:7003 CLUSTER FORGET abc```',
    },
  },
  {
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: 'fingerprint `f00d`' },
      { type: 'plain_text', text: 'made 12:00' },
    ],
  },
  { type: 'divider' },
  {
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: 'plan_approve',
        value: 'p1',
        style: 'primary',
        confirm: {
          title: { type: 'plain_text', text: 'Run this plan?' },
          text: { type: 'mrkdwn', text: 'Cluster *default*, risk *medium*' },
          confirm: { type: 'plain_text', text: 'Run it' },
          deny: { type: 'plain_text', text: 'Not yet' },
        },
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Reject' },
        action_id: 'plan_reject',
        value: 'p1',
        style: 'danger',
      },
    ],
  },
];

describe('renderMessage', () => {
  describe('without colour', () => {
    const out = renderMessage({ text: 'fallback', blocks: planMessage }, { color: false });

    it('prints the header and no ANSI codes', () => {
      expect(out.text.split('\n')[0]).toBe('Plan for cluster default');
      expect(out.text).not.toMatch(/\x1b\[/);
    });

    it('lays fields out as two aligned columns', () => {
      const lines = out.text.split('\n');
      const risk = lines.indexOf('Risk     Requested by');
      expect(risk).toBeGreaterThan(0);
      expect(lines[risk + 1]).toBe('medium   @U0ONCALL');
      expect(lines[risk + 2]).toBe('Steps    Expires');
      expect(lines[risk + 3]).toBe('3        in 15 min');
    });

    it('turns severity emoji into symbols and keeps the words', () => {
      expect(out.text).toContain('● critical node 127.0.0.1:7001 failed');
      expect(out.text).toContain('⚠ warning master without replica');
    });

    it('shows code blocks as an indented box, untouched by mrkdwn rules', () => {
      expect(out.text).toContain(
        '  │ 127.0.0.1:7002 CLUSTER FORGET abc\n  │ 127.0.0.1:7003 CLUSTER FORGET abc',
      );
    });

    it('joins context elements on one line', () => {
      expect(out.text).toContain('fingerprint f00d  ·  made 12:00');
    });

    it('numbers the buttons and keeps their action, value and confirm dialog', () => {
      expect(out.text).toContain('[1] Approve  [2] Reject');
      expect(out.buttons).toEqual([
        {
          index: 1,
          label: 'Approve',
          actionId: 'plan_approve',
          value: 'p1',
          style: 'primary',
          confirm: {
            title: 'Run this plan?',
            text: 'Cluster default, risk medium',
            confirm: 'Run it',
            deny: 'Not yet',
          },
        },
        { index: 2, label: 'Reject', actionId: 'plan_reject', value: 'p1', style: 'danger' },
      ]);
    });
  });

  describe('with colour', () => {
    const out = renderMessage({ blocks: planMessage }, { color: true });
    const lines = out.text.split('\n');

    it('colours a critical finding red, a warning yellow, an info cyan', () => {
      expect(lines.find((l) => stripAnsi(l).includes('critical node'))).toMatch(/^\x1b\[31m/);
      expect(lines.find((l) => stripAnsi(l).includes('warning master'))).toMatch(/^\x1b\[33m/);
      expect(lines.find((l) => stripAnsi(l).includes('info line'))).toMatch(/^\x1b\[36m/);
    });

    it('keeps the same text once the colours are stripped', () => {
      expect(stripAnsi(out.text)).toBe(renderMessage({ blocks: planMessage }, { color: false }).text);
    });

    it('shows the approve button green and the reject button red', () => {
      expect(out.text).toContain('\x1b[1m\x1b[32m[1] Approve');
      expect(out.text).toContain('\x1b[1m\x1b[31m[2] Reject');
    });
  });

  it('falls back to the text when there are no blocks', () => {
    expect(renderMessage({ text: 'hello *there*' }, { color: false }).text).toBe('hello there');
  });

  it('numbers a section accessory button too', () => {
    const out = renderMessage(
      {
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: 'Plan p2' },
            accessory: {
              type: 'button',
              text: { type: 'plain_text', text: 'Cancel' },
              action_id: 'plan_cancel',
              value: 'p2',
            },
          },
        ],
      },
      { color: false },
    );
    expect(out.text).toBe('Plan p2   [1] Cancel');
    expect(out.buttons[0]?.actionId).toBe('plan_cancel');
  });

  it('names a block type it does not know instead of dropping it', () => {
    expect(renderMessage({ blocks: [{ type: 'video' }] }, { color: false }).text).toBe('[video block]');
  });

  it('renders rich text lists and preformatted parts', () => {
    const out = renderMessage(
      {
        blocks: [
          {
            type: 'rich_text',
            elements: [
              {
                type: 'rich_text_list',
                style: 'ordered',
                elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'forget' }] }],
              },
              { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'CLUSTER NODES' }] },
            ],
          },
        ],
      },
      { color: false },
    );
    expect(out.text).toBe('  1. forget\n  │ CLUSTER NODES');
  });
});

describe('renderMrkdwn', () => {
  it('unescapes entities and renders links, users and channels', () => {
    expect(renderMrkdwn('a &lt;b&gt; &amp; <https://x.io|docs> <@U1> <#C1|ops> <!here>', false)).toEqual([
      'a <b> & docs (https://x.io) @U1 #ops @here',
    ]);
  });

  it('leaves unknown emoji shortcodes as they are', () => {
    expect(renderMrkdwn(':unknown_thing: ok', false)).toEqual([':unknown_thing: ok']);
  });

  it('does not treat a star inside a word or a command as bold', () => {
    expect(renderMrkdwn('KEYS a*b*c and `SCAN 0 MATCH *x*`', true).map(stripAnsi)).toEqual([
      'KEYS a*b*c and SCAN 0 MATCH *x*',
    ]);
  });

  it('colours a line that starts with a severity word', () => {
    expect(renderMrkdwn('*critical* slots 0-5460 uncovered', true)[0]).toMatch(/^\x1b\[31m/);
    expect(renderMrkdwn('criticality is fine', true)[0]).not.toMatch(/^\x1b\[31m/);
  });
});

describe('shouldColor', () => {
  it('is off when NO_COLOR is set, even on a terminal', () => {
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });
  it('is off when the output is not a terminal', () => {
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor(undefined, {})).toBe(false);
  });
  it('is on for a terminal', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
  });
});

describe('visibleWidth', () => {
  it('does not count ANSI codes', () => {
    expect(visibleWidth('\x1b[1mab\x1b[0m')).toBe(2);
  });
});
