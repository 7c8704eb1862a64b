import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm start` with a bad environment: one line per problem on stderr, exit code 1, no secret echoed. */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('npm start with a bad configuration', () => {
  it('prints each problem on its own line, naming the variable, and exits 1', async () => {
    const { code, stderr } = await runMain({
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: 'xoxb-very-secret-token',
      PORT: 'eighty',
      ROLE: 'both',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.some((l) => l.startsWith('CONTROL_REDIS_URL:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('PORT:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('ROLE:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('SLACK_SIGNING_SECRET:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('REDIS_CLUSTER_NODES:'))).toBe(true);
    expect(stderr).not.toContain('xoxb-very-secret-token');
    expect(stderr).not.toContain('eighty');
  });

  it('says plainly when Slack refuses the bot token, and exits 1', async () => {
    const { code, stderr } = await runMain({
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: 'xoxb-refused',
      SLACK_SIGNING_SECRET: 's',
      // nothing listens there: auth.test fails fast
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      CONTROL_REDIS_URL: 'redis://127.0.0.1:9',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/could not start/);
    expect(stderr).not.toContain('xoxb-refused');
  });
});
