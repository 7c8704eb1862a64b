import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../types.ts';

/** `app_home_opened` (issue 19): publishes the Home tab — clusters, open plans, the last audit entries. */
export function registerAppHome(app: App, deps: ListenerDeps): void {
  const log = deps.logger.child({ component: 'slack-home' });
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home' || !deps.chatService.homeView) return;
    try {
      const blocks = await deps.chatService.homeView(event.user);
      await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: blocks as never } });
    } catch (err) {
      log.warn({ err: (err as Error).message, user: event.user }, 'could not publish the Home tab');
    }
  });
}
