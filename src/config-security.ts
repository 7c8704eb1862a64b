/**
 * The security side of the configuration (issue 16): the approval secret, channel and Slack URL rules.
 * Checked on the raw environment with the rest of config.ts, one problem per line, never a value.
 */
import { MIN_SECRET_LENGTH } from './app/approval-seal.ts';
import { isUserGroupId } from './app/approver-set.ts';

/** A raw boolean setting read the way the schema reads it (true, 1, yes). */
export const truthy = (v: string | undefined) => ['true', '1', 'yes'].includes(v ?? '');

/** Is `url` on this machine (http allowed there: a local proxy or a test stand-in)? */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Cross-variable rules on the raw environment; each problem names its variable. */
export function securityChecks(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const slack = env.SLACK_MODE === 'http' || env.SLACK_MODE === 'socket';
  const role = env.ROLE ?? 'all';
  const channels = (env.ALLOWED_CHANNELS ?? '').split(',').filter((c) => c.trim());
  // A worker never reads Slack input, so only the roles that do need the channel list.
  if (slack && role !== 'worker' && channels.length === 0 && !truthy(env.ALLOW_ALL_CHANNELS))
    problems.push(
      'ALLOWED_CHANNELS: required in Slack mode (comma-separated channel ids); an empty list means every channel, DMs and Slack Connect included — set ALLOW_ALL_CHANNELS=true to mean that',
    );
  // Bot and worker must hold the same secret; one process alone (console, sandbox) makes up its own.
  const split = slack || role === 'bot' || role === 'worker';
  if (split && !env.APPROVAL_SECRET)
    problems.push(
      `APPROVAL_SECRET: required in Slack mode and with ROLE=bot|worker: a random string of ${MIN_SECRET_LENGTH}+ characters, the same for the bot and every worker (it seals approvals)`,
    );
  const groups = (env.APPROVERS ?? '').split(',').some((a) => isUserGroupId(a.trim()));
  if (groups && !env.SLACK_BOT_TOKEN)
    problems.push(
      'SLACK_BOT_TOKEN: required when APPROVERS names user groups (S…): they are resolved with usergroups.users.list',
    );
  if (env.SLACK_API_URL) {
    let url: URL | undefined;
    try {
      url = new URL(env.SLACK_API_URL);
    } catch {
      // the schema reports a malformed URL
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url)))
      problems.push('SLACK_API_URL: must be https:// (http:// only for a loopback address)');
  }
  return problems;
}
