/**
 * Who may approve: APPROVERS lists Slack user ids (U…, W…) and user-group ids (S…). A group is resolved to
 * its members with `usergroups.users.list`, kept at most five minutes; the worker's run-time check asks again.
 */
import { CodedError, ErrorCodes } from '../core/errors.ts';
import { type Clock, systemClock } from '../core/ports.ts';

/** Members of a user group (Slack's usergroups.users.list); throws when Slack refuses. */
export type ListGroupMembers = (groupId: string) => Promise<string[]>;

export interface ApproverSet {
  /** The configured entries (user and group ids), for messages. */
  readonly entries: readonly string[];
  /** Is `user` an approver now? `fresh`: resolve the groups again (a cache of at most 5 min otherwise). */
  has(user: string, opts?: { fresh?: boolean }): Promise<boolean>;
}

/** The longest a group's members are trusted without asking Slack again. */
export const GROUP_CACHE_MAX_MS = 5 * 60_000;

/** A Slack user-group id (the S… of `<!subteam^S…>`). */
export function isUserGroupId(id: string): boolean {
  return /^S[A-Z0-9]{2,}$/.test(id);
}

export function createApproverSet(
  entries: readonly string[],
  opts: { listMembers?: ListGroupMembers; clock?: Clock; cacheMs?: number } = {},
): ApproverSet {
  const clock = opts.clock ?? systemClock;
  const cacheMs = Math.min(opts.cacheMs ?? GROUP_CACHE_MAX_MS, GROUP_CACHE_MAX_MS);
  const users = new Set(entries.filter((e) => !isUserGroupId(e)));
  const groups = entries.filter(isUserGroupId);
  const cache = new Map<string, { members: Set<string>; at: number }>();

  async function members(group: string, fresh: boolean): Promise<Set<string>> {
    const hit = cache.get(group);
    const young = hit && clock.now() - hit.at < cacheMs;
    if (hit && young && !fresh) return hit.members;
    if (!opts.listMembers)
      throw new CodedError(
        ErrorCodes.ApproversUnresolved,
        `user group ${group} cannot be resolved: no Slack client`,
      );
    try {
      const list = new Set(await opts.listMembers(group));
      cache.set(group, { members: list, at: clock.now() });
      return list;
    } catch (err) {
      // Slack down for a moment: a list read within the last five minutes still stands.
      if (hit && young) return hit.members;
      const why = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
      throw new CodedError(
        ErrorCodes.ApproversUnresolved,
        `user group ${group} could not be resolved (${why})`,
      );
    }
  }

  return {
    entries,
    async has(user, o = {}) {
      if (users.has(user)) return true;
      for (const g of groups) if ((await members(g, o.fresh === true)).has(user)) return true;
      return false;
    },
  };
}
