/**
 * `npm start`: redis-medic as configured by the environment.
 *   ROLE=all (default) | bot | worker;  SLACK_MODE=http | socket, unset: the console chat.
 * A bad configuration is printed one problem per line, then the process exits with 1.
 */
import { pathToFileURL } from 'node:url';
import { connectSlack, type SlackTransport } from './adapters/slack/app.ts';
import { createSlackChatPort, createSlackWebClient, type SlackChatPort } from './adapters/slack/chat-port.ts';
import type { ChatPort } from './app/chat-port.ts';
import { type ComposedApp, type ComposeOptions, composeApp } from './compose.ts';
import { type Config, loadConfig } from './config.ts';
import { CodedError } from './core/errors.ts';
import type { Clock } from './core/ports.ts';
import { startOpsServer } from './http/ops-server.ts';
import { createLogger, type Logger } from './logger.ts';

/** The configuration could not be used: one line per problem, naming the variable (never its value). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface StartOptions {
  logger?: Logger;
  /** Passed to composeApp (tests: a key prefix, a clock, the sandbox's chaos handler). */
  extra?: ComposeOptions['extra'];
  /** Slack ChatPort tuning (tests shorten the per-channel pacing). */
  slack?: { postIntervalMs?: number; maxAttempts?: number; backoffMs?: number };
  clock?: Clock;
}

export interface RunningApp {
  role: Config['ROLE'];
  transport: 'http' | 'socket' | 'worker';
  /** Port of the HTTP listener (`/slack/events` in http mode, `/healthz`, `/metrics`). */
  port: number;
  composed: ComposedApp;
  close(): Promise<void>;
}

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

/** A ChatPort for the worker-only role: progress reaches Slack through the bot's event subscription, not from here. */
function workerChatPort(logger: Logger): ChatPort {
  const log = logger.child({ component: 'worker-chat' });
  let n = 0;
  return {
    async post(channel, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: message not sent');
      n += 1;
      return { ts: `0.${n}` };
    },
    async update(channel, _ts, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: update not sent');
    },
    async postEphemeral(channel, _user, msg) {
      log.info({ channel, text: msg.text.slice(0, 200) }, 'worker role has no chat: ephemeral not sent');
    },
  };
}

/**
 * Starts the Slack bot and/or the worker (not the console: see `main`). Used by `npm start` and by the e2e
 * tests, so they run the app exactly as production does.
 */
export async function startApp(
  env: NodeJS.ProcessEnv = process.env,
  opts: StartOptions = {},
): Promise<RunningApp> {
  const config = configFromEnv(env);
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const composeOpts = (chat: ChatPort): ComposeOptions => ({
    chat,
    logger,
    role: config.ROLE,
    ...(opts.extra ? { extra: opts.extra } : {}),
  });

  if (config.ROLE === 'worker') {
    const composed = await composeApp(config, composeOpts(workerChatPort(logger)));
    let ops: Awaited<ReturnType<typeof startOpsServer>>;
    try {
      ops = await startOpsServer({ host: config.HOST, port: config.PORT, health: () => composed.healthy() });
    } catch (err) {
      await composed.close();
      throw err;
    }
    logger.info({ role: 'worker', port: ops.port }, 'redis-medic worker started');
    return {
      role: 'worker',
      transport: 'worker',
      port: ops.port,
      composed,
      close: once(async () => {
        await ops.close();
        await composed.close();
      }),
    };
  }

  const mode = config.SLACK_MODE;
  if (!mode) throw new CodedError('CONFIG_INVALID', 'SLACK_MODE is unset: use main() for the console');
  const chat: SlackChatPort = createSlackChatPort({
    client: createSlackWebClient({
      token: config.SLACK_BOT_TOKEN ?? '',
      slackApiUrl: config.SLACK_API_URL,
      logger,
    }),
    logger,
    ...(opts.slack ?? {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  // Check the bot token before building anything else: a refused token fails fast and plainly.
  const slack = await connectSlack({
    mode,
    botToken: config.SLACK_BOT_TOKEN ?? '',
    ...(config.SLACK_SIGNING_SECRET ? { signingSecret: config.SLACK_SIGNING_SECRET } : {}),
    ...(config.SLACK_APP_TOKEN ? { appToken: config.SLACK_APP_TOKEN } : {}),
    slackApiUrl: config.SLACK_API_URL,
    host: config.HOST,
    port: config.PORT,
    logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(config.ALERTMANAGER_TOKEN ? { alertToken: config.ALERTMANAGER_TOKEN } : {}),
  });
  const composed = await composeApp(config, composeOpts(chat));
  chat.onLost = async (lost) => {
    await composed.audit.record({
      who: 'redis-medic',
      what: 'report-lost',
      outcome: lost.error,
      detail: `${lost.method} to ${lost.channel}${lost.threadTs ? ` (thread ${lost.threadTs})` : ''} failed after ${lost.attempts} attempt(s): ${lost.text}`,
    });
  };
  let transport: SlackTransport;
  try {
    await composed.chatService.start();
    transport = await slack.start({
      chatService: composed.chatService,
      chat,
      health: () => composed.healthy(),
      ...(composed.alerts ? { alerts: composed.alerts } : {}),
    });
  } catch (err) {
    await composed.close().catch(() => undefined);
    throw err;
  }
  const started = transport;
  logger.info({ role: config.ROLE, mode, port: started.port }, 'redis-medic started');
  return {
    role: config.ROLE,
    transport: mode,
    port: started.port,
    composed,
    close: once(async () => {
      await started.stop();
      // Let queued progress reports go out, but never hang a shutdown on Slack.
      await Promise.race([chat.drain(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await composed.close();
    }),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** The process entry: prints configuration problems one per line and exits 1; stops cleanly on SIGINT / SIGTERM. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: Config;
  try {
    config = configFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const cannotStart = (err: unknown) => {
    const e = err instanceof CodedError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`redis-medic could not start: ${e}\n`);
    return 1;
  };
  if (!config.SLACK_MODE && config.ROLE !== 'worker') {
    const { startConsoleApp } = await import('./adapters/console/start-console-app.ts');
    try {
      return await startConsoleApp(config, logger);
    } catch (err) {
      if (err instanceof CodedError) return cannotStart(err);
      throw err;
    }
  }
  let app: RunningApp;
  try {
    app = await startApp(env, { logger });
  } catch (err) {
    return cannotStart(err);
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      app.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      // A raw Redis reply reaching here comes from the control Redis (target errors are CodedErrors).
      const refused = /^(NOAUTH|WRONGPASS)\b/.test((err as Error)?.message ?? '');
      const what = refused
        ? 'the control Redis refused our credentials (the password in CONTROL_REDIS_URL): '
        : '';
      process.stderr.write(`redis-medic: ${what}${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
