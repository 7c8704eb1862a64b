/** The server roles of `npm start` with SLACK_MODE set or ROLE=worker: Slack bot and/or worker, with ops endpoints. */
import type { SlackTransport } from '../../adapters/slack/app.ts';
import type { SlackChatPort } from '../../adapters/slack/chat-port.ts';
import type { Config } from '../../config.ts';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { Clock } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { settingWarnings } from '../../readiness.ts';
import { composeApp } from '../app.ts';
import type { ComposedApp, ComposeExtra } from '../types.ts';
import { serveOps } from './ops.ts';
import { composeWorker } from './worker.ts';

export interface StartOptions {
  logger?: Logger;
  /** Passed to composeApp (tests: a key prefix, a clock, the sandbox's chaos handler). */
  extra?: ComposeExtra;
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

/** Starts the worker or the Slack bot (with the worker for ROLE=all) and their ops endpoints. */
export async function startServerRole(
  config: Config,
  logger: Logger,
  opts: StartOptions = {},
): Promise<RunningApp> {
  const warnings = settingWarnings(config);
  for (const w of warnings) logger.warn(w);
  if (config.ROLE !== 'worker') return startSlackRole(config, logger, warnings, opts);
  // Kubernetes restarts nothing for a control-Redis blip: start, serve status, connect when it returns.
  const composed = await composeWorker(config, {
    logger,
    startWithoutControl: true,
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
  const ops = await serveOps(config, logger, warnings, composed);
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

/** Builds the Slack ChatPort and checks the bot token: a refused token fails fast, before anything else. */
async function connectToSlack(config: Config, logger: Logger, opts: StartOptions) {
  const mode = config.SLACK_MODE;
  if (!mode)
    throw new CodedError(ErrorCodes.ConfigInvalid, 'SLACK_MODE is unset: use main() for the console');
  // Bolt and the Web API client (~25 MiB resident) are loaded only by the roles that talk to Slack.
  const [{ connectSlack }, { createSlackChatPort, createSlackWebClient }, { createAckGate }] =
    await Promise.all([
      import('../../adapters/slack/app.ts'),
      import('../../adapters/slack/chat-port.ts'),
      import('../../adapters/slack/ack-gate.ts'),
    ]);
  // Acks first: Web API calls wait while Slack requests wait for their acks (ack-gate.ts).
  const acks = createAckGate();
  const chat: SlackChatPort = createSlackChatPort({
    beforeCall: acks.afterPendingAcks,
    client: createSlackWebClient({
      token: config.SLACK_BOT_TOKEN ?? '',
      slackApiUrl: config.SLACK_API_URL,
      logger,
    }),
    logger,
    ...(opts.slack ?? {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const slack = await connectSlack({
    mode,
    botToken: config.SLACK_BOT_TOKEN ?? '',
    ...(config.SLACK_SIGNING_SECRET ? { signingSecret: config.SLACK_SIGNING_SECRET } : {}),
    ...(config.SLACK_APP_TOKEN ? { appToken: config.SLACK_APP_TOKEN } : {}),
    slackApiUrl: config.SLACK_API_URL,
    host: config.HOST,
    port: config.PORT,
    logger,
    acks,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return { mode, chat, slack };
}

/** ROLE=all | bot in Slack mode: the app with the Slack ChatPort, Bolt's receiver and the ops endpoints. */
async function startSlackRole(
  config: Config,
  logger: Logger,
  warnings: string[],
  opts: StartOptions,
): Promise<RunningApp> {
  const { mode, chat, slack } = await connectToSlack(config, logger, opts);
  const composed = await composeApp(config, {
    chat,
    logger,
    role: config.ROLE,
    startWithoutControl: true,
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
  chat.onLost = async (lost) => {
    await composed.audit.record({
      who: 'redis-medic',
      what: 'report-lost',
      outcome: lost.error,
      detail: `${lost.method} to ${lost.channel}${lost.threadTs ? ` (thread ${lost.threadTs})` : ''} failed after ${lost.attempts} attempt(s): ${lost.text}`,
    });
  };
  const ops = await serveOps(config, logger, warnings, composed);
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
