import type { Intent, IntentKind } from '../../../core/intents/parse-intent.ts';
import type { CommandRequest } from '../../chat-port.ts';
import type { ChatContext } from '../context.ts';

/** One `/redis` sub-command: runs it and answers; returns the outcome counted in the metrics. */
export interface Command<K extends IntentKind> {
  run(ctx: ChatContext, intent: Extract<Intent, { kind: K }>, req: CommandRequest): Promise<string>;
  /** What the answer says could not be done when it fails unexpectedly (default "Could not do that"). */
  failed?: string;
}
