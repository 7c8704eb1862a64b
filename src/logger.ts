import { pino } from 'pino';

/** Field paths that may carry secrets; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'password',
  '*.password',
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
];

export type Logger = pino.Logger;

/**
 * One logger per process; JSON to stderr so stdout stays free for the CLI and console. `destination`
 * (tests) receives the same lines instead.
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination(2),
  );
}

/** Removes a password embedded in a redis:// URL before the URL is shown anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/(\/\/)[^:/@]+@/, '$1***@');
}
