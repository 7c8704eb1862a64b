import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const base = { CONTROL_REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' };
/** What Slack mode needs besides the Slack keys (issue 16): channels and the approval seal's secret. */
const slackBase = { ...base, ALLOWED_CHANNELS: 'C0INCIDENT', APPROVAL_SECRET: 'x'.repeat(40) };

function config(env: Record<string, string>) {
  const r = loadConfig({ ...base, ...env });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

describe('durations', () => {
  it('accept 30s, 5m, 1h or a plain number in the unit the name says', () => {
    expect(config({ WATCH_GRACE: '30s', WATCH_INTERVAL: '5m' })).toMatchObject({
      WATCH_GRACE: 30,
      WATCH_INTERVAL: 300,
    });
    expect(config({ WATCH_GRACE: '45' }).WATCH_GRACE).toBe(45);
    expect(config({ PLAN_TTL_MS: '15m', SCAN_TIMEOUT_MS: '1500ms' })).toMatchObject({
      PLAN_TTL_MS: 900_000,
      SCAN_TIMEOUT_MS: 1500,
    });
    expect(config({ PLAN_TTL_MS: '600000' }).PLAN_TTL_MS).toBe(600_000);
    expect(config({ AUDIT_MAX_AGE_DAYS: '2d' }).AUDIT_MAX_AGE_DAYS).toBe(2);
    expect(config({}).PLAN_TTL_MS).toBe(15 * 60_000);
  });

  it('refuse anything else, and values under the minimum', () => {
    const r = loadConfig({ ...base, WATCH_GRACE: '5 minutes', SCAN_TIMEOUT_MS: '10ms' });
    expect(r.ok).toBe(false);
    expect(!r.ok && [...r.problems].sort()).toEqual([
      'SCAN_TIMEOUT_MS: expected at least 50 milliseconds',
      'WATCH_GRACE: expected a duration such as 30s, 5m or 1h (a plain number is in seconds)',
    ]);
  });
});

describe('Slack keys by role', () => {
  it('a worker needs no Slack key even when SLACK_MODE is set (it never talks to Slack)', () => {
    expect(
      loadConfig({ ...base, APPROVAL_SECRET: 'x'.repeat(40), SLACK_MODE: 'socket', ROLE: 'worker' }),
    ).toMatchObject({
      ok: true,
      config: { ROLE: 'worker' },
    });
  });

  it('the bot needs the keys of its mode', () => {
    const r = loadConfig({ ...slackBase, SLACK_MODE: 'socket', SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(!r.ok && r.problems).toEqual(['SLACK_APP_TOKEN: required when SLACK_MODE=socket (xapp-…)']);
  });

  it('takes an empty key (KEY= in .env, "" in a ConfigMap) as unset', () => {
    const c = config({ SLACK_APP_TOKEN: '', WATCH_CHANNEL: '', SLACK_SIGNING_SECRET: '', APPROVERS: '' });
    expect(c.WATCH_CHANNEL).toBeUndefined();
    expect(c.SLACK_APP_TOKEN).toBeUndefined();
    expect(c.APPROVERS).toEqual([]);
  });

  it('accepts user (U…, W…) and channel (C…, G…) ids', () => {
    expect(config({ APPROVERS: 'U012AB, W034CD', ALLOWED_CHANNELS: 'C0123,G0456' })).toMatchObject({
      APPROVERS: ['U012AB', 'W034CD'],
      ALLOWED_CHANNELS: ['C0123', 'G0456'],
    });
  });
});

describe('.env.example', () => {
  it('copied as is to .env, validates (empty keys count as unset)', () => {
    const r = loadConfig(parseEnv(readFileSync('.env.example', 'utf8')));
    expect(r.ok ? [] : r.problems).toEqual([]);
    expect(r.ok && r.config.SLACK_MODE).toBeUndefined();
    expect(r.ok && r.config.REDIS_PASSWORD).toBeUndefined();
  });
});
