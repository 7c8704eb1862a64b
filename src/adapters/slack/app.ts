import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import type { ChatPort, ChatService } from '../../app/chat-port.ts';
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { Clock } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { type AckGate, createAckGate } from './ack-gate.ts';
import { toSlackLogger } from './bolt-logger.ts';
import { registerListeners } from './listeners/index.ts';
import { createHttpReceiver } from './receivers/http-receiver.ts';
import { createSocketReceiver } from './receivers/socket-receiver.ts';

export interface SlackTransportOptions {
  mode: 'http' | 'socket';
  botToken: string;
  /** Required in http mode. */
  signingSecret?: string;
  /** Required in socket mode (xapp-…). */
  appToken?: string;
  /** Web API base, e.g. https://slack.com/api/ */
  slackApiUrl: string;
  /** Where `/slack/events` listens (http mode only; the ops endpoints have OPS_PORT). 0: any free port. */
  host: string;
  port: number;
  chatService: ChatService;
  chat: ChatPort;
  logger: Logger;
  clock?: Clock;
  /** The process's ack gate, shared with the ChatPort (ack-gate.ts); a new one when not given. */
  acks?: AckGate;
}

export interface SlackTransport {
  mode: 'http' | 'socket';
  app: App;
  /** The bound port of `/slack/events` (http mode); 0 in socket mode. */
  port: number;
  stop(): Promise<void>;
}

/** What the transport hands requests to; known only once the app is composed. */
export interface SlackTransportDeps {
  chatService: ChatService;
  chat: ChatPort;
}

export type SlackConnectOptions = Omit<SlackTransportOptions, keyof SlackTransportDeps>;

/** A Bolt app whose token Slack has accepted, not yet listening. */
export interface SlackConnection {
  app: App;
  start(deps: SlackTransportDeps): Promise<SlackTransport>;
}

/**
 * Builds the Bolt app for the configured mode and checks the bot token (auth.test, once, with Slack's answer
 * reported plainly). Done before anything else is built, so a bad token fails fast.
 */
export async function connectSlack(opts: SlackConnectOptions): Promise<SlackConnection> {
  const log = opts.logger.child({ component: 'slack' });
  const slackLogger = toSlackLogger(opts.logger, 'bolt');
  const acks = opts.acks ?? createAckGate();
  let receiver: ReturnType<typeof createHttpReceiver> | ReturnType<typeof createSocketReceiver>;
  if (opts.mode === 'http') {
    if (!opts.signingSecret)
      throw new CodedError(ErrorCodes.ConfigInvalid, 'SLACK_SIGNING_SECRET: required in http mode');
    receiver = createHttpReceiver({
      signingSecret: opts.signingSecret,
      logger: opts.logger,
      acks,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } else {
    if (!opts.appToken)
      throw new CodedError(ErrorCodes.ConfigInvalid, 'SLACK_APP_TOKEN: required in socket mode');
    receiver = createSocketReceiver({
      appToken: opts.appToken,
      slackApiUrl: opts.slackApiUrl,
      logger: opts.logger,
    });
  }

  const app = new App({
    token: opts.botToken,
    receiver,
    logger: slackLogger,
    clientOptions: { slackApiUrl: opts.slackApiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 200 } },
    // auth.test runs in init() below, where its failure can be reported, not as a stray rejection.
    deferInitialization: true,
    // No conversation state is kept: skip the middleware that looks it up (and builds an Error) on every request.
    convoStore: false,
  });
  try {
    await app.init();
  } catch (err) {
    const slackError = (err as { data?: { error?: string } }).data?.error;
    throw new CodedError(
      ErrorCodes.SlackAuthFailed,
      slackError
        ? `Slack refused SLACK_BOT_TOKEN (auth.test: ${slackError})`
        : `could not reach Slack's Web API at ${opts.slackApiUrl} (auth.test: ${(err as Error).message})`,
    );
  }

  return {
    app,
    async start(deps) {
      registerListeners(app, { chatService: deps.chatService, chat: deps.chat, logger: opts.logger, acks });
      app.error(async (err) => {
        log.error({ code: err.code, err: err.message }, 'unhandled error in a Slack listener');
      });

      if (opts.mode === 'http') {
        const server = (await app.start({ port: opts.port, host: opts.host })) as Server;
        const port = (server.address() as AddressInfo).port;
        log.info({ mode: 'http', host: opts.host, port }, 'slack transport listening on /slack/events');
        return {
          mode: 'http',
          app,
          port,
          stop: async () => {
            server.closeAllConnections();
            await app.stop().catch(() => undefined);
          },
        };
      }

      try {
        await app.start();
      } catch (err) {
        throw new CodedError(
          ErrorCodes.SlackAuthFailed,
          `Socket Mode could not connect: ${(err as Error).message}`,
        );
      }
      log.info({ mode: 'socket' }, 'slack transport connected (socket mode)');
      return {
        mode: 'socket',
        app,
        port: 0,
        stop: async () => {
          // Bolt's receiver.stop() does not wait for the close handshake; the client's disconnect() does.
          const socket = receiver as ReturnType<typeof createSocketReceiver>;
          await Promise.race([
            socket.client.disconnect().catch(() => undefined),
            new Promise((r) => setTimeout(r, 3000).unref()),
          ]);
        },
      };
    },
  };
}
