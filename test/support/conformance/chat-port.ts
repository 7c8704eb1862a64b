/** One suite every ChatPort must pass: what chat-service, the watcher and the alert intake rely on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatPort } from '../../../src/app/chat-port.ts';
import { asCodedError } from '../../../src/core/errors.ts';

/** A message as the transport shows it (Slack: the stand-in's record; console: what was printed). */
export interface ShownMessage {
  /** The current version, as text (blocks flattened or rendered). */
  text: string;
  /** Text of the thread's parent message, for a reply in a thread. */
  parent?: string;
}

/** A way to make the transport refuse a call, and the reason the port must give. */
export interface Refusal {
  name: string;
  /** Sets the refusal up; returns the channel to call. */
  arrange(): string | Promise<string>;
  /** The reason in `details.slackError`, which chat-service reads to say why (chat-service.ts postPublic). */
  reason: string;
}

/** One ChatPort wired to a transport the suite can look at. */
export interface ChatPortSubject {
  port: ChatPort;
  /** The message `ts` of `channel` as the transport shows it now; undefined when it has no such message. */
  shown(channel: string, ts: string): ShownMessage | undefined;
  /** Texts of everything posted in `channel` that members see (not ephemerals), in the order shown. */
  channelTexts(channel: string): string[];
  /** Texts of the ephemeral messages `user` got in `channel`, oldest first. */
  ephemerals(channel: string, user: string): string[];
  /** Calls the transport refuses (Slack: unknown channel, not a member, rate limit too long to wait). */
  refusals?: Refusal[];
  /** Makes the next post fail once in a way worth retrying (Slack: HTTP 429 with Retry-After). */
  failNextPostOnce?(): void;
  close?(): Promise<void>;
}

/** A message with a unique marker, as chat-service builds them (fallback text + a section). */
export const marked = (text: string): ChatMessage => ({
  text,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
});

const CHANNEL = 'C0CONFORM';
const OTHER = 'C0ELSEWHERE';
const USER = 'U0ALICE';

/** Runs the ChatPort contract against `make()`, a fresh subject per test. */
export function describeChatPortConformance(name: string, make: () => Promise<ChatPortSubject>): void {
  describe(`ChatPort conformance: ${name}`, () => {
    let s: ChatPortSubject;
    let n = 0;
    // Markers unique per test, so a transport shared between tests never answers for another one.
    const mark = (what: string) => `${what} #${n}`;
    beforeEach(async () => {
      n += 1;
      s = await make();
    });
    afterEach(async () => {
      await s.close?.();
    });

    it('posts a message in a channel and gives back its ts', async () => {
      const { ts } = await s.port.post(CHANNEL, marked(mark('plan')));
      expect(ts).toMatch(/\S/);
      expect(s.shown(CHANNEL, ts)?.text).toContain(mark('plan'));
      expect(s.shown(CHANNEL, ts)?.parent).toBeUndefined();
    });

    it('gives every message its own ts (plan, progress and summary are kept by ts)', async () => {
      const a = await s.port.post(CHANNEL, marked(mark('a')));
      const b = await s.port.post(CHANNEL, marked(mark('b')), { threadTs: a.ts });
      const c = await s.port.post(OTHER, marked(mark('c')));
      expect(new Set([a.ts, b.ts, c.ts]).size).toBe(3);
      expect(s.shown(CHANNEL, a.ts)?.text).toContain(mark('a'));
      expect(s.shown(CHANNEL, b.ts)?.text).toContain(mark('b'));
      expect(s.shown(OTHER, c.ts)?.text).toContain(mark('c'));
    });

    it('posts a reply in the thread of a message, leaving the message as it was', async () => {
      const root = await s.port.post(CHANNEL, marked(mark('root')));
      const reply = await s.port.post(CHANNEL, marked(mark('reply')), { threadTs: root.ts });
      expect(s.shown(CHANNEL, reply.ts)).toMatchObject({ parent: expect.stringContaining(mark('root')) });
      expect(s.shown(CHANNEL, reply.ts)?.text).toContain(mark('reply'));
      expect(s.shown(CHANNEL, root.ts)?.text).not.toContain(mark('reply'));
    });

    it('replaces a message in place: same ts, the new version shown, the old one gone', async () => {
      const { ts } = await s.port.post(CHANNEL, marked(mark('awaiting approval')));
      await s.port.update(CHANNEL, ts, marked(mark('running step 1')));
      const shown = s.shown(CHANNEL, ts)?.text;
      expect(shown).toContain(mark('running step 1'));
      expect(shown).not.toContain(mark('awaiting approval'));
    });

    it('keeps an updated reply in its thread (the plan progress message)', async () => {
      const root = await s.port.post(CHANNEL, marked(mark('plan')));
      const progress = await s.port.post(CHANNEL, marked(mark('step 1/3')), { threadTs: root.ts });
      await s.port.update(CHANNEL, progress.ts, marked(mark('step 2/3')));
      expect(s.shown(CHANNEL, progress.ts)).toMatchObject({ parent: expect.stringContaining(mark('plan')) });
      expect(s.shown(CHANNEL, progress.ts)?.text).toContain(mark('step 2/3'));
    });

    it('shows the last of several updates asked at once', async () => {
      const { ts } = await s.port.post(CHANNEL, marked(mark('plan')));
      await Promise.all([1, 2, 3].map((i) => s.port.update(CHANNEL, ts, marked(mark(`plan: ${i}/3`)))));
      expect(s.shown(CHANNEL, ts)?.text).toContain(mark('plan: 3/3'));
    });

    it('shows posts to one channel in the order they were asked, even when not awaited one by one', async () => {
      const root = await s.port.post(CHANNEL, marked(mark('root')));
      const texts = ['progress', 'summary', 'watcher'].map(mark);
      await Promise.all(texts.map((t) => s.port.post(CHANNEL, marked(t), { threadTs: root.ts })));
      const order = s
        .channelTexts(CHANNEL)
        .map((shown) => texts.findIndex((t) => shown.includes(t)))
        .filter((i) => i >= 0);
      expect(order).toEqual([0, 1, 2]);
    });

    it('sends an ephemeral message to one user only, not into the channel', async () => {
      await s.port.postEphemeral(CHANNEL, USER, marked(mark('only for you')));
      expect(s.ephemerals(CHANNEL, USER).some((t) => t.includes(mark('only for you')))).toBe(true);
      expect(s.ephemerals(CHANNEL, 'U0BOB').some((t) => t.includes(mark('only for you')))).toBe(false);
      expect(s.channelTexts(CHANNEL).some((t) => t.includes(mark('only for you')))).toBe(false);
    });

    it('refuses to update a message it never posted in that channel, with a CodedError', async () => {
      const { ts } = await s.port.post(CHANNEL, marked(mark('plan')));
      const err = await s.port.update(OTHER, ts, marked(mark('stray'))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the update of an unknown message resolved').toBeDefined();
      expect(asCodedError(err).code).not.toBe('UNEXPECTED');
      expect(s.channelTexts(OTHER).some((t) => t.includes(mark('stray')))).toBe(false);
      expect(s.shown(CHANNEL, ts)?.text).toContain(mark('plan'));
      expect(s.shown(CHANNEL, ts)?.text).not.toContain(mark('stray'));
    });

    it('rejects every call the transport refuses with a CodedError that says why', async () => {
      for (const r of s.refusals ?? []) {
        const channel = await r.arrange();
        const err = await s.port.post(channel, marked(mark(r.name))).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${r.name}: the post resolved`).toBeDefined();
        expect(asCodedError(err).code, r.name).not.toBe('UNEXPECTED');
        expect(asCodedError(err).details?.slackError, r.name).toBe(r.reason);
        expect(
          s.channelTexts(channel).some((t) => t.includes(mark(r.name))),
          r.name,
        ).toBe(false);
      }
    });

    it('retries a refusal worth retrying and shows the message once', async () => {
      if (!s.failNextPostOnce) return; // a transport that never refuses for a while
      s.failNextPostOnce();
      const { ts } = await s.port.post(CHANNEL, marked(mark('after a 429')));
      expect(s.shown(CHANNEL, ts)?.text).toContain(mark('after a 429'));
      expect(s.channelTexts(CHANNEL).filter((t) => t.includes(mark('after a 429')))).toHaveLength(1);
    });
  });
}
