import type { ChatPort, ChatService } from '../../../app/chat-port.ts';
import type { Logger } from '../../../logger.ts';

/** What every Slack listener needs. */
export interface ListenerDeps {
  chatService: ChatService;
  /** Fallback when a response_url cannot be used. */
  chat: ChatPort;
  logger: Logger;
  /** Slash command name, default `/redis`. */
  command?: string;
}
