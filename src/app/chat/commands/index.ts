import type { Intent, IntentKind } from '../../../core/intents/parse-intent.ts';
import type { CommandRequest } from '../../chat-port.ts';
import type { ChatContext } from '../context.ts';
import { audit } from './audit.ts';
import { cancel } from './cancel.ts';
import { chaos } from './chaos.ts';
import { clusters } from './clusters.ts';
import type { Command } from './command.ts';
import { diagnose } from './diagnose.ts';
import { failover } from './failover.ts';
import { forget } from './forget.ts';
import { help } from './help.ts';
import { join } from './join.ts';
import { plans } from './plans.ts';
import { restart } from './restart.ts';
import { status } from './status.ts';
import { timeline } from './timeline.ts';

/** Every `/redis` sub-command: the compiler checks that each intent kind has its handler. */
export const commands: { [K in IntentKind]: Command<K> } = {
  help,
  status,
  diagnose,
  failover,
  forget,
  join,
  restart,
  plans,
  cancel,
  audit,
  clusters,
  timeline,
  chaos,
};

/** Runs the sub-command of `intent`; returns its outcome for the metrics. */
export function runCommand(ctx: ChatContext, intent: Intent, req: CommandRequest): Promise<string> {
  // One handler per kind, so the intent always matches the handler it is given to.
  const command = commands[intent.kind] as Command<IntentKind>;
  return command.run(ctx, intent, req);
}

/** What the answer says could not be done when `command` failed unexpectedly. */
export function failedWhat(command: string): string {
  const known = Object.hasOwn(commands, command) ? commands[command as IntentKind] : undefined;
  return known?.failed ?? 'Could not do that';
}
