import type { App } from '@slack/bolt';
import { LINK_ACTION_PREFIX } from '../../../../app/cluster-links.ts';
import type { ListenerDeps } from '../types.ts';

/** Dashboard / Runbook link buttons: Slack opens the URL and still sends the click, which only needs an ack. */
export function registerLinkButtons(app: App, deps: ListenerDeps): void {
  const log = deps.logger.child({ component: 'slack-action' });
  app.action(new RegExp(`^${LINK_ACTION_PREFIX}`), async ({ ack }) => {
    await ack().catch((err: unknown) => log.error({ err: String(err) }, 'ack failed'));
  });
}
