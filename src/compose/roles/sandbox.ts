/** The sandbox role (`npm run sandbox`): ROLE=all on a local cluster, console chat, `chaos …` commands. */
import { createConsoleChatPort } from '../../adapters/console/console-chat-port.ts';
import type { ChaosHandler } from '../../app/chat/service.ts';
import type { ChatService } from '../../app/chat-port.ts';
import { loadConfig } from '../../config.ts';
import type { ClusterDefinition } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { composeApp } from '../app.ts';
import type { ComposedApp } from '../types.ts';

/** Environment variables a user may set to tune the sandbox's app (everything else is fixed). */
const PASSED_THROUGH = [
  'WATCH_INTERVAL',
  'WATCH_GRACE',
  'SCAN_TIMEOUT_MS',
  'PLAN_TTL_MS',
  'ALLOW_SELF_APPROVAL',
  'LOG_LEVEL',
] as const;

export interface SandboxApp {
  app: ComposedApp;
  chatPort: ReturnType<typeof createConsoleChatPort>;
  /** The chat service, showing `status` after each chaos command that broke something. */
  chatService: ChatService;
}

export interface SandboxSetup {
  controlUrl: string;
  cluster: ClusterDefinition;
  channel: string;
  approvers: string[];
  chaos: { handler: ChaosHandler; succeeded: () => number };
  color: boolean;
  width: number;
  logger: Logger;
}

/** Composes the sandbox's app (chat service started); the caller runs the console. */
export async function composeSandbox(setup: SandboxSetup): Promise<SandboxApp> {
  const env: NodeJS.ProcessEnv = {
    CONTROL_REDIS_URL: setup.controlUrl,
    REDIS_CLUSTER_NODES: setup.cluster.seeds.join(','),
    CLUSTER_NAME: setup.cluster.name,
    APPROVERS: setup.approvers.join(','),
    WATCH_CHANNEL: setup.channel,
    // The watcher speaks first: a scan every 3 s, and a degradation that outlasts 5 s gets its own thread,
    // so `chaos kill-master` is followed by the bot's own report within seconds.
    WATCH_INTERVAL: '3',
    WATCH_GRACE: '5',
    ROLE: 'all',
  };
  for (const k of PASSED_THROUGH) if (process.env[k] !== undefined) env[k] = process.env[k];
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`sandbox config: ${loaded.problems.join('; ')}`);
  const chatPort = createConsoleChatPort({ color: setup.color, channel: setup.channel, width: setup.width });
  const app = await composeApp(loaded.config, {
    chat: chatPort,
    logger: setup.logger,
    role: 'all',
    extra: { clusters: [setup.cluster], chaos: setup.chaos.handler },
  });
  try {
    await app.chatService.start();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return { app, chatPort, chatService: withStatusAfterChaos(app.chatService, setup.chaos.succeeded) };
}

/** After a chaos command, show `status` as the bot sees it (unless the service already did). */
function withStatusAfterChaos(service: ChatService, succeeded: () => number): ChatService {
  return {
    ...service,
    handleCommand: async (req) => {
      const before = succeeded();
      await service.handleCommand(req);
      if (succeeded() > before) await service.handleCommand({ ...req, text: 'status' });
    },
    handleAction: (req) => service.handleAction(req),
    start: () => service.start(),
    stop: () => service.stop(),
  };
}
