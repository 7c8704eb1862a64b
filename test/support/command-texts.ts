import fc from 'fast-check';
import { ChaosActions, SUB_COMMANDS } from '../../src/core/intents/parse-intent.ts';

/**
 * Generated `/redis …` texts for fuzzing: near-valid commands (right and misspelt sub-commands, node refs of
 * every form, flags in odd places), Slack-formatted noise (mentions, links, emoji, markdown), odd whitespace,
 * random Unicode and very long inputs.
 */
const TYPOS = [
  'stauts',
  'diagnos',
  'fail-over',
  'HELP',
  'Status',
  'forgett',
  'joinn',
  'audits',
  'plan',
  'cluster',
];
const WORDS = [
  'force',
  'takeover',
  'default',
  'replica-of',
  '--cluster',
  '--cluster=prod',
  'prod',
  ...ChaosActions,
  '-1',
  '0',
  '100',
  '101',
  '9999999999999999999999',
  'NaN',
  'p-abc123',
  'redis-cluster-0',
  'redis-cluster-2.redis',
  '127.0.0.1:7000',
  '127.0.0.1:0',
  '[::1]:6379',
  ':6379',
  'localhost:65536',
];
const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 40 });
const slackNoise = fc.constantFrom(
  '<@U0APPROVER>',
  '<@U0APPROVER|alice>',
  '<#C0INCIDENT|incidents>',
  '<https://example.com|link>',
  '<!here>',
  ':fire:',
  '*bold*',
  '_it_',
  '`code`',
  '```block```',
  '&amp;',
  '&lt;&gt;',
  '\u00a0',
  '\t',
  '\n',
  '\u200b',
  '🔥',
  'ß',
  '\u202e',
);
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SUB_COMMANDS) },
  { weight: 1, arbitrary: fc.constantFrom(...TYPOS) },
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: hex },
  { weight: 1, arbitrary: slackNoise },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 70_000 }).map(String) },
);
const sep = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0');

const tokens = fc
  .tuple(fc.constantFrom(...SUB_COMMANDS, ...TYPOS, ''), fc.array(fc.tuple(sep, token), { maxLength: 6 }))
  .map(([head, rest]) => head + rest.map(([s, t]) => s + t).join(''));

/** One `/redis` text, at most `maxLength` characters (Slack caps slash command text at a few thousand). */
export function commandText(maxLength = 4000): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 8, arbitrary: tokens },
      { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...SUB_COMMANDS), fc.string({ minLength: 500, maxLength: 3990 }))
          .map(([c, s]) => `${c} ${s}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', ' ', '\n', '\t\t', '   help   ', 'status\u0000', '%', '+', '&='),
      },
    )
    .map((s) => s.slice(0, maxLength));
}
