/** The security rules of the configuration (issue 16): channels, the approval secret, SLACK_API_URL, durations. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const SECRET = 'x'.repeat(40);
const slackEnv = (over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  SLACK_MODE: 'http',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'signing-secret-1234',
  CONTROL_REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_CLUSTER_NODES: '127.0.0.1:7000',
  ALLOWED_CHANNELS: 'C0INCIDENT',
  APPROVAL_SECRET: SECRET,
  ...over,
});

function problems(env: NodeJS.ProcessEnv): string[] {
  const r = loadConfig(env);
  return r.ok ? [] : r.problems;
}

describe('configuration security rules', () => {
  it('accepts a complete Slack configuration', () => {
    expect(problems(slackEnv())).toEqual([]);
  });

  it('refuses Slack mode with an empty ALLOWED_CHANNELS unless ALLOW_ALL_CHANNELS=true', () => {
    expect(problems(slackEnv({ ALLOWED_CHANNELS: '' })).join('\n')).toMatch(
      /^ALLOWED_CHANNELS: required in Slack mode/m,
    );
    expect(problems(slackEnv({ ALLOWED_CHANNELS: undefined, ALLOW_ALL_CHANNELS: 'true' }))).toEqual([]);
    // the console does not need it
    expect(problems({ CONTROL_REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2' })).toEqual([]);
  });

  it('requires APPROVAL_SECRET in Slack mode and for a split bot / worker, 32 characters at least', () => {
    expect(problems(slackEnv({ APPROVAL_SECRET: undefined })).join('\n')).toMatch(
      /^APPROVAL_SECRET: required/m,
    );
    const worker = { CONTROL_REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2', ROLE: 'worker' };
    expect(problems(worker).join('\n')).toMatch(/^APPROVAL_SECRET: required/m);
    expect(problems({ ...worker, APPROVAL_SECRET: SECRET })).toEqual([]);
    const short = problems(slackEnv({ APPROVAL_SECRET: 'short' })).join('\n');
    expect(short).toMatch(/^APPROVAL_SECRET: expected at least 32 characters/m);
    expect(short).not.toContain('short"');
  });

  it('takes SLACK_API_URL over https, or http only on loopback', () => {
    for (const url of [
      'https://slack.com/api/',
      'http://127.0.0.1:5123/api/',
      'http://[::1]:80/',
      'http://localhost:9/',
    ])
      expect(problems(slackEnv({ SLACK_API_URL: url })), url).toEqual([]);
    for (const url of [
      'http://slack.example.com/api/',
      'http://localhost.evil.example/',
      'http://10.0.0.5/api/',
    ])
      expect(problems(slackEnv({ SLACK_API_URL: url })).join('\n'), url).toMatch(
        /^SLACK_API_URL: must be https/m,
      );
  });

  it('needs a bot token to resolve approver user groups', () => {
    const env = { CONTROL_REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2', APPROVERS: 'U1,S0ONCALL' };
    expect(problems(env).join('\n')).toMatch(/^SLACK_BOT_TOKEN: required when APPROVERS names user groups/m);
  });

  it('reads PLAN_MAX_QUEUED as a duration (default 15 min) and RATE_LIMIT_PER_MINUTE (default 10)', () => {
    const base = { CONTROL_REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2' };
    const read = (v?: string) => {
      const r = loadConfig({ ...base, ...(v === undefined ? {} : { PLAN_MAX_QUEUED: v }) });
      return r.ok ? r.config.PLAN_MAX_QUEUED : r.problems.join('\n');
    };
    expect(read()).toBe(15 * 60_000);
    expect(read('5m')).toBe(5 * 60_000);
    expect(read('90')).toBe(90_000);
    expect(read('1h')).toBe(3600_000);
    expect(read('soon')).toMatch(/^PLAN_MAX_QUEUED: expected a duration/);
    const r = loadConfig(base);
    expect(r.ok && r.config.RATE_LIMIT_PER_MINUTE).toBe(10);
  });
});
