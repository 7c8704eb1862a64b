/** `usergroups.users.list` (scope `usergroups:read`): the members of a Slack user group, for APPROVERS. */
import type { ListGroupMembers } from '../../app/approver-set.ts';
import type { Logger } from '../../logger.ts';
import { createSlackWebClient } from './chat-port.ts';

export function createGroupMemberLister(opts: {
  token: string;
  slackApiUrl: string;
  logger: Logger;
}): ListGroupMembers {
  const client = createSlackWebClient(opts);
  return async (usergroup) => {
    const res = await client.usergroups.users.list({ usergroup });
    return Array.isArray(res.users) ? res.users.filter((u): u is string => typeof u === 'string') : [];
  };
}
