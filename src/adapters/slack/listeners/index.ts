import type { App } from '@slack/bolt';
import { registerLinkButtons } from './actions/link-buttons.ts';
import { registerPlanButtons } from './actions/plan-buttons.ts';
import { registerRedisCommand } from './commands/redis-command.ts';
import { registerAppHome } from './events/app-home.ts';
import type { ListenerDeps } from './types.ts';

export type { ListenerDeps } from './types.ts';

/** Every Slack surface redis-medic listens to. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerRedisCommand(app, deps);
  registerPlanButtons(app, deps);
  registerLinkButtons(app, deps);
  registerAppHome(app, deps);
}
