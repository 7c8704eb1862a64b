import { pino } from 'pino';

/** Field paths that may carry secrets; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'auth.password',
  'token',
  '*.token',
  'signingSecret',
  '*.signingSecret',
  'headers.authorization',
  '*.headers.authorization',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'REDIS_PASSWORD',
  'APPROVAL_SECRET',
  // Command arguments (AUTH, MIGRATE … AUTH, CONFIG SET masterauth), also inside an error's `command`.
  'args',
  '*.args',
  '*.*.args',
  'command.args',
  '*.command.args',
  '*.*.command.args',
];

export type Logger = pino.Logger;

/** Replaces each secret value, raw, JSON-escaped or URL-encoded, wherever it appears in a line. */
export function secretScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const f of list) if (out.includes(f)) out = out.split(f).join('[redacted]');
    return out;
  };
}

/**
 * One logger per process; JSON to stderr so stdout stays free for the CLI and console. `destination`
 * (tests) receives the same lines instead. `secrets`: values no line may hold, whatever field or string
 * they hide in (a last net behind the redaction paths).
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
  opts: { secrets?: readonly (string | undefined)[] } = {},
): Logger {
  const scrub = opts.secrets?.length ? secretScrubber(opts.secrets) : undefined;
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...(scrub ? { hooks: { streamWrite: scrub } } : {}),
    },
    destination ?? pino.destination(2),
  );
}

/** What to log of an error: its message and code, never the object (an ioredis error carries its command). */
export function errFields(err: unknown): { err: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' || typeof e?.code === 'number'
    ? { err: message, code: String(e.code) }
    : { err: message };
}

/** Removes the credentials embedded in a URL (redis://user:password@host) before it is shown anywhere. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username) u.username = '***';
    return u.toString();
  } catch {
    // Not a URL we can parse: hide everything between the scheme and the last '@'.
    const start = url.indexOf('//');
    const at = url.lastIndexOf('@');
    return start >= 0 && at > start ? `${url.slice(0, start + 2)}***${url.slice(at)}` : url;
  }
}
