import type { ChatPort, ChatService } from '../../../app/chat-port.ts';
import type { Logger } from '../../../logger.ts';
import type { AckGate } from '../ack-gate.ts';

/** What every Slack listener needs. */
export interface ListenerDeps {
  chatService: ChatService;
  /** Fallback when a response_url cannot be used. */
  chat: ChatPort;
  logger: Logger;
  /** Work behind an ack waits for the other requests' acks. */
  acks: AckGate;
  /** Slash command name, default `/redis`. */
  command?: string;
}
