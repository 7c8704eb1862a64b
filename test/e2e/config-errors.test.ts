/**
 * `npm start` with values that have the right names but the wrong shapes, as people paste them: every bad key
 * is reported at once, one line each, the process exits 1, and no secret is echoed. Run as a real process,
 * with the configuration also read from a `.env` file in the working directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runToExit } from './run-to-exit.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/redis-medic.js', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** src/main.ts as `npm start` runs it, in `cwd`, with only `env`; resolves when it exits. */
function runMain(cwd: string, env: Record<string, string>, args = ['--import', TSX, MAIN]) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return runToExit(child, 30_000);
}

const SECRETS = {
  SLACK_BOT_TOKEN: 'hello-this-is-not-a-token',
  SLACK_APP_TOKEN: 'xoxb-1234-bot-token-in-the-wrong-key',
  SLACK_SIGNING_SECRET: 'xapp-1-app-token-in-the-wrong-key',
  APPROVAL_SECRET: 'too-short-to-seal',
};

describe('npm start with malformed values', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('names every bad key on its own line, exits 1, and prints no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-config-'));
    dirs.push(dir);
    const { code, stderr, stdout } = await runMain(dir, {
      ...SECRETS,
      SLACK_MODE: 'socket',
      CONTROL_REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      APPROVERS: 'U012ABCDEF,@alice',
      ALLOWED_CHANNELS: '#incidents',
      WATCH_CHANNEL: 'incidents',
      WATCH_GRACE: 'half a minute',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    const keys = lines.map((l) => l.slice(0, l.indexOf(':')));
    expect(keys.sort()).toEqual(
      [
        'ALLOWED_CHANNELS',
        'APPROVAL_SECRET',
        'APPROVERS',
        'SLACK_APP_TOKEN',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'WATCH_CHANNEL',
        'WATCH_GRACE',
      ].sort(),
    );
    expect(stderr).toContain('SLACK_BOT_TOKEN: expected the Bot User OAuth Token (xoxb-');
    expect(stderr).toContain('SLACK_APP_TOKEN: expected an App-Level Token (xapp-');
    expect(stderr).toContain('APPROVAL_SECRET: expected at least 32 characters');
    expect(stderr).toContain(
      'APPROVERS: expected comma-separated Slack user ids (U… or W…) or user-group ids (S…), not @names',
    );
    expect(stderr).toContain('ALLOWED_CHANNELS: expected comma-separated Slack channel ids (C… or G…');
    expect(stderr).toContain('WATCH_GRACE: expected a duration such as 30s, 5m or 1h');
    for (const secret of Object.values(SECRETS)) expect(stderr).not.toContain(secret);
    for (const value of ['@alice', '#incidents', 'half a minute']) expect(stderr).not.toContain(value);
  });

  it('reads them from .env in the working directory, the environment winning over the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-dotenv-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, '.env'),
      [
        'SLACK_MODE=socket',
        'SLACK_BOT_TOKEN=xoxb-from-the-file',
        'SLACK_APP_TOKEN=not-an-app-token-from-the-file',
        'CONTROL_REDIS_URL=redis://127.0.0.1:6379',
        'REDIS_CLUSTER_NODES=127.0.0.1:7000',
        'APPROVERS=alice',
        'ALLOWED_CHANNELS=C0123ABCDEF',
        `APPROVAL_SECRET=${'e3b0c442'.repeat(8)}`,
        'PLAN_TTL_MS=15m',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runMain(dir, { APPROVERS: 'U012ABCDEF' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'SLACK_APP_TOKEN: expected an App-Level Token (xapp-…, Basic Information → App-Level Tokens)',
    ]);
    expect(stderr).not.toContain('not-an-app-token-from-the-file');
  });

  it('the CLI reads .env too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-cli-dotenv-'));
    dirs.push(dir);
    // Port 9 (discard) on loopback: nothing answers, so the CLI names the seed it took from .env.
    writeFileSync(join(dir, '.env'), 'REDIS_CLUSTER_NODES=127.0.0.1:9\n');
    const { code, stdout, stderr } = await runMain(dir, {}, [CLI, 'status']);
    expect(code).toBe(2);
    expect(stdout + stderr).toContain('127.0.0.1:9');
  });
});
