import { SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../../../logger.ts';
import { toSlackLogger } from '../bolt-logger.ts';

/**
 * Bolt's SocketModeReceiver; `apps.connections.open` goes to `slackApiUrl` (so a proxy or a stand-in can sit
 * in between). Its WebClient keeps socket-mode's own patient retry policy for reconnects.
 */
export function createSocketReceiver(opts: {
  appToken: string;
  slackApiUrl: string;
  logger: Logger;
}): SocketModeReceiver {
  const logger = toSlackLogger(opts.logger, 'bolt-socket');
  return new SocketModeReceiver({
    appToken: opts.appToken,
    logger,
    installerOptions: { clientOptions: { slackApiUrl: opts.slackApiUrl } },
  });
}
