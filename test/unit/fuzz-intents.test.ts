/**
 * Fuzzing the text of `/redis …` up to what the user reads: 10,000 generated texts through parseIntent and the
 * usage / help renderers. None throws; each gets an intent or an error with the usage; every answer stays
 * within Block Kit limits. (The same generator drives 10,000 signed requests through the running app in
 * test/e2e/fuzz-commands.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderHelp, renderUsageError } from '../../src/app/messages/index.ts';
import { parseIntent } from '../../src/core/intents/parse-intent.ts';
import { commandText } from '../support/command-texts.ts';
import { validateBlocks } from '../support/slack-stand-in.ts';

describe('the /redis text, fuzzed', () => {
  it('10,000 generated texts: no crash, and each one gets an intent or a usage answer within Block Kit limits', () => {
    let refused = 0;
    fc.assert(
      fc.property(commandText(), (text) => {
        const r = parseIntent(text);
        if (r.ok) {
          expect(typeof r.intent.kind).toBe('string');
          if (r.intent.kind === 'help') {
            const msg = renderHelp(r.intent.topic ? { topic: r.intent.topic } : {});
            expect(validateBlocks(msg.blocks)).toEqual([]);
          }
          return;
        }
        refused += 1;
        expect(r.error.length).toBeGreaterThan(0);
        expect(r.usage).toContain('/redis');
        const msg = renderUsageError(r);
        expect(msg.text.length).toBeGreaterThan(0);
        expect(validateBlocks(msg.blocks)).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
    // the generator reaches the refusal paths, not only the happy ones
    expect(refused).toBeGreaterThan(1000);
  }, 120_000);
});
