/**
 * `npm start`: redis-medic as configured by the environment.
 *   ROLE=all (default) | bot | worker;  SLACK_MODE=http | socket, unset: the console chat.
 * A bad configuration is printed one problem per line, then the process exits with 1.
 */
import { pathToFileURL } from 'node:url';
import type { SlackTransport } from './adapters/slack/app.ts';
import type { SlackChatPort } from './adapters/slack/chat-port.ts';
import type { ChatPort } from './app/chat-port.ts';
import { type ComposedApp, type ComposeOptions, composeApp } from './compose.ts';
import { type Config, loadConfig } from './config.ts';
import { CodedError } from './core/errors.ts';
import type { Clock } from './core/ports.ts';
import { loadDotEnv } from './env-file.ts';
import { alertmanagerRoute } from './http/alertmanager-route.ts';
import { type OpsServer, startOpsServer } from './http/ops-server.ts';
import { createLogger, type Logger } from './logger.ts';
import { createReadiness, settingWarnings } from './readiness.ts';
import { secretValues } from './secret-values.ts';

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
  /** Port of `/slack/events` in http mode; the ops port otherwise. */
  port: number;
  /** Port of `/livez`, `/readyz`, `/healthz` and `/metrics` (OPS_PORT). */
  opsPort: number;
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
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, undefined, { secrets: secretValues(config) });
  const composeOpts = (chat: ChatPort): ComposeOptions => ({
    chat,
    logger,
    role: config.ROLE,
    // Kubernetes restarts nothing for a control-Redis blip: start, serve status, connect when it returns.
    startWithoutControl: true,
    ...(opts.extra ? { extra: opts.extra } : {}),
  });

  const warnings = settingWarnings(config);
  for (const w of warnings) logger.warn(w);
  /** The ops endpoints of this role, on OPS_PORT; closes `composed` when the port cannot be bound. */
  const serveOps = async (composed: ComposedApp): Promise<OpsServer> => {
    try {
      return await startOpsServer({
        host: config.HOST,
        port: config.OPS_PORT,
        health: () => composed.healthy(),
        readiness: createReadiness({ role: config.ROLE, warnings, controlHealthy: () => composed.healthy() }),
        // Alertmanager in (issue 19): beside /metrics, never on the public Slack path; 404 without a token.
        routes: [
          alertmanagerRoute({
            token: () => config.ALERTMANAGER_TOKEN,
            sink: () => composed.alerts,
            logger,
          }),
        ],
      });
    } catch (err) {
      await composed.close();
      throw err;
    }
  };

  if (config.ROLE === 'worker') {
    const composed = await composeApp(config, composeOpts(workerChatPort(logger)));
    const ops = await serveOps(composed);
    logger.info({ role: 'worker', opsPort: ops.port }, 'redis-medic worker started');
    return {
      role: 'worker',
      transport: 'worker',
      port: ops.port,
      opsPort: ops.port,
      composed,
      close: once(async () => {
        await ops.close();
        await composed.close();
      }),
    };
  }

  const mode = config.SLACK_MODE;
  if (!mode) throw new CodedError('CONFIG_INVALID', 'SLACK_MODE is unset: use main() for the console');
  // Bolt and the Web API client (~25 MiB resident) are loaded only by the roles that talk to Slack.
  const [{ connectSlack }, { createSlackChatPort, createSlackWebClient }] = await Promise.all([
    import('./adapters/slack/app.ts'),
    import('./adapters/slack/chat-port.ts'),
  ]);
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
  const ops = await serveOps(composed);
  let transport: SlackTransport;
  try {
    await composed.chatService.start();
    transport = await slack.start({ chatService: composed.chatService, chat });
  } catch (err) {
    await ops.close();
    await composed.close().catch(() => undefined);
    throw err;
  }
  const started = transport;
  logger.info({ role: config.ROLE, mode, port: started.port, opsPort: ops.port }, 'redis-medic started');
  return {
    role: config.ROLE,
    transport: mode,
    port: mode === 'http' ? started.port : ops.port,
    opsPort: ops.port,
    composed,
    close: once(async () => {
      await started.stop();
      await ops.close();
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
  const logger = createLogger(config.LOG_LEVEL, undefined, { secrets: secretValues(config) });
  const cannotStart = (err: unknown) => {
    const e = err instanceof CodedError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`redis-medic could not start: ${e}\n`);
    return 1;
  };
  if (!config.SLACK_MODE && config.ROLE !== 'worker') {
    const { startConsoleApp } = await import('./console-app.ts');
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
  loadDotEnv();
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
