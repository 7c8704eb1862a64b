import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../logger.ts';

/**
 * Bolt / WebClient / SocketModeClient log through `@slack/logger`'s interface; this routes them to our pino
 * logger (which redacts secrets). Arguments are joined into one message: Slack's libraries log strings.
 */
export function toSlackLogger(logger: Logger, name = 'slack'): SlackLogger {
  let child = logger.child({ component: name });
  let level: LogLevel = pinoToSlack(logger.level);
  const fmt = (msg: unknown[]) =>
    msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : safeJson(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(fmt(msg)),
    info: (...msg: unknown[]) => child.info(fmt(msg)),
    warn: (...msg: unknown[]) => child.warn(fmt(msg)),
    error: (...msg: unknown[]) => child.error(fmt(msg)),
    // Levels are governed by LOG_LEVEL; Bolt's setLevel only records what it asked for.
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      child = logger.child({ component: n });
    },
  };
}

function pinoToSlack(level: string): LogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return LogLevel.DEBUG;
    case 'info':
      return LogLevel.INFO;
    case 'warn':
      return LogLevel.WARN;
    default:
      return LogLevel.ERROR;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
