/**
 * Approvers by Slack user group (issue 16, point 3): `usergroups.users.list` through the Web API stand-in,
 * members cached at most 5 minutes, asked again when the worker checks (`fresh`), Slack's errors told plainly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupMemberLister } from '../../src/adapters/slack/usergroups.ts';
import { createApproverSet } from '../../src/app/approver-set.ts';
import { createLogger } from '../../src/logger.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';

describe('approvers given as Slack user groups', () => {
  let slack: SlackStandIn;
  let now = 1_000_000;
  const clock = { now: () => now };
  const lister = () =>
    createGroupMemberLister({
      token: slack.botToken,
      slackApiUrl: slack.url,
      logger: createLogger('silent'),
    });
  const calls = () => slack.calls.filter((c) => c.method === 'usergroups.users.list').length;

  beforeAll(async () => {
    slack = await startSlackStandIn();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('resolves a group to its members, next to plain user ids', async () => {
    slack.setUserGroup('S0ONCALL', ['U0ALICE', 'U0BOB']);
    const set = createApproverSet(['U0CAROL', 'S0ONCALL'], { listMembers: lister(), clock });
    expect(await set.has('U0CAROL')).toBe(true);
    expect(await set.has('U0ALICE')).toBe(true);
    expect(await set.has('U0MALLORY')).toBe(false);
  });

  it('keeps the members at most 5 minutes, and asks again at once when told fresh', async () => {
    slack.setUserGroup('S0CACHE', ['U0ALICE']);
    const set = createApproverSet(['S0CACHE'], { listMembers: lister(), clock });
    expect(await set.has('U0ALICE')).toBe(true);
    const asked = calls();
    slack.setUserGroup('S0CACHE', []);
    now += 4 * 60_000;
    expect(await set.has('U0ALICE')).toBe(true); // still within 5 minutes: the cached list
    expect(calls()).toBe(asked);
    expect(await set.has('U0ALICE', { fresh: true })).toBe(false); // the worker's check asks Slack
    slack.setUserGroup('S0CACHE', ['U0ALICE']);
    await set.has('U0ALICE', { fresh: true });
    slack.setUserGroup('S0CACHE', []);
    now += 5 * 60_000 + 1;
    expect(await set.has('U0ALICE')).toBe(false); // older than 5 minutes: asked again
  });

  it('says which group could not be read and why (no_such_subteam, missing_scope)', async () => {
    const unknown = createApproverSet(['S0NOPE'], { listMembers: lister(), clock });
    await expect(unknown.has('U0ALICE')).rejects.toThrow(
      /user group S0NOPE could not be resolved \(no_such_subteam\)/,
    );
    slack.scopes.delete('usergroups:read');
    try {
      slack.setUserGroup('S0SCOPE', ['U0ALICE']);
      const noScope = createApproverSet(['S0SCOPE'], { listMembers: lister(), clock });
      await expect(noScope.has('U0ALICE')).rejects.toThrow(/\(missing_scope\)/);
    } finally {
      slack.scopes.add('usergroups:read');
    }
  });

  it('uses a list read within 5 minutes when Slack fails for a moment, and refuses once it is older', async () => {
    slack.setUserGroup('S0FLAKY', ['U0ALICE']);
    const set = createApproverSet(['S0FLAKY'], { listMembers: lister(), clock });
    expect(await set.has('U0ALICE', { fresh: true })).toBe(true);
    slack.failNext('usergroups.users.list', { error: 'internal_error' });
    now += 60_000;
    expect(await set.has('U0ALICE', { fresh: true })).toBe(true);
    slack.failNext('usergroups.users.list', { error: 'internal_error' });
    now += 5 * 60_000;
    await expect(set.has('U0ALICE', { fresh: true })).rejects.toThrow(/S0FLAKY could not be resolved/);
  });
});
