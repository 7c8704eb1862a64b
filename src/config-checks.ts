/**
 * Shapes of the values Slack hands out, and durations, for src/config.ts: a malformed value is refused at
 * start with one line naming the variable, instead of failing later (a bot token in SLACK_APP_TOKEN, `@alice`
 * in APPROVERS, a channel name in ALLOWED_CHANNELS). Messages never quote the value: it may be a secret.
 */
import { z } from 'zod';

/** An empty variable (`KEY=` in .env, `""` in a ConfigMap) counts as unset: `.env.example` copied as is starts. */
export function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

/** As `withoutEmpty`, for one value. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** `xoxb-…`: Bot User OAuth Token. */
export const slackBotToken = unsetIfEmpty(
  z.string().regex(/^xoxb-[A-Za-z0-9-]+$/, {
    message: 'expected the Bot User OAuth Token (xoxb-…, OAuth & Permissions)',
  }),
);

/** `xapp-…`: App-Level Token with connections:write (Socket Mode). */
export const slackAppToken = unsetIfEmpty(
  z.string().regex(/^xapp-[A-Za-z0-9-]+$/, {
    message: 'expected an App-Level Token (xapp-…, Basic Information → App-Level Tokens)',
  }),
);

/** The Signing Secret: no token pasted by mistake, no blanks, not a stub. */
export const slackSigningSecret = unsetIfEmpty(
  z.string().refine((v) => /^[A-Za-z0-9_-]{8,}$/.test(v) && !/^(xox[a-z]|xapp)-/.test(v), {
    message: 'expected the Signing Secret (Basic Information → App Credentials), not a token',
  }),
);

const ID_SHAPES = {
  user: { re: /^[UW][A-Z0-9]{2,}$/, what: 'Slack user ids (U… or W…, not @names)' },
  channel: { re: /^[CG][A-Z0-9]{2,}$/, what: 'Slack channel ids (C… or G…, not #names)' },
  approver: {
    re: /^[UWS][A-Z0-9]{2,}$/,
    what: 'Slack user ids (U… or W…) or user-group ids (S…), not @names',
  },
  usergroup: { re: /^S[A-Z0-9]{2,}$/, what: 'Slack user group ids (S…)' },
} as const;

/** The entries of a comma-separated setting, trimmed, empty ones dropped. */
export function commaList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Comma-separated Slack ids of one kind; each bad entry is counted, never quoted. */
export function slackIdList(kind: keyof typeof ID_SHAPES) {
  const { re, what } = ID_SHAPES[kind];
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      const list = commaList(v);
      const bad = list.filter((id) => !re.test(id)).length;
      if (bad > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected comma-separated ${what}; ${bad} of ${list.length} are not`,
        });
        return z.NEVER;
      }
      return list;
    });
}

/** One Slack channel id (C… or G…). */
/** A link template (issue 19): an http(s) URL once `{cluster}` / `{node}` are filled in. */
export const linkTemplate = z.string().refine(
  (t) => {
    try {
      return /^https?:$/.test(new URL(t.replace(/\{(cluster|node)\}/g, 'x')).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s) URL (placeholders {cluster} and {node} allowed)' },
);

export const slackChannelId = unsetIfEmpty(
  z
    .string()
    .regex(ID_SHAPES.channel.re, { message: `expected a ${ID_SHAPES.channel.what.replace('ids', 'id')}` }),
);

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/**
 * A duration: `500ms`, `30s`, `5m`, `1h`, `2d`, or a plain number in `unit` (the unit the variable's name
 * says: ms for *_MS, days for *_DAYS, seconds otherwise). The value comes out as a whole number of `unit`.
 */
export function duration(unit: Unit, def: number, min = 0) {
  const message = `expected a duration such as 30s, 5m or 1h (a plain number is in ${unitName(unit)})`;
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      const n = Math.round((Number(m[1]) * UNIT_MS[(m[2] as Unit | undefined) ?? unit]) / UNIT_MS[unit]);
      if (n < min) {
        ctx.addIssue({ code: 'custom', message: `expected at least ${min} ${unitName(unit)}` });
        return z.NEVER;
      }
      return n;
    });
}

function unitName(unit: Unit): string {
  return { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days' }[unit];
}

/** Rules between variables that depend on the role: a worker never talks to Slack, so needs no Slack key. */
export function slackKeyProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const mode = env.SLACK_MODE;
  if (env.ROLE === 'worker' || (mode !== 'http' && mode !== 'socket')) return problems;
  if (!env.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: required when SLACK_MODE is set (xoxb-…)');
  if (mode === 'http' && !env.SLACK_SIGNING_SECRET)
    problems.push('SLACK_SIGNING_SECRET: required when SLACK_MODE=http');
  if (mode === 'socket' && !env.SLACK_APP_TOKEN)
    problems.push('SLACK_APP_TOKEN: required when SLACK_MODE=socket (xapp-…)');
  const ops = env.OPS_PORT ?? '9090';
  if (mode === 'http' && env.PORT !== undefined && env.PORT === ops && ops !== '0')
    problems.push('OPS_PORT: must differ from PORT (Slack events and the ops endpoints listen apart)');
  return problems;
}
