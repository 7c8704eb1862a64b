/**
 * `npm run sandbox` with watch mode on (its default): after `chaos replace-pod`, the bot's own report shows up
 * in the console without anyone typing `diagnose`, and approving it from there heals the cluster (issue 9).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { getPortRange } from '../../src/sandbox/local-cluster.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('the sandbox with watch mode on', () => {
  it('follows `chaos replace-pod` with its own report and plan; approving it heals the cluster', async () => {
    // The Node running the tests (24), not whatever `node` is first on PATH. WATCH_INTERVAL stays the sandbox's.
    // WATCH_GRACE well above the promotion time (cluster-node-timeout 2 s, slower on a busy machine), so the
    // first post comes after Redis promoted the replica, as the script expects.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WATCH_GRACE: '10' };
    delete env.WATCH_INTERVAL;
    const ports = getPortRange();
    const args = [
      '--import',
      'tsx',
      'src/sandbox/main.ts',
      '--ports',
      `${ports.min}-${ports.max}`,
      '--script',
      '-',
    ];
    const sb = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = sb;
    let out = '';
    sb.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    sb.stderr?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => sb.once('exit', (code) => resolve(code)));
    // No `diagnose`: the watcher's report (and its plan, with the buttons) is what the script waits for.
    sb.stdin?.end(
      [
        // The watcher names a failover only if it saw the cluster before it (one scan every 3 s): let it look once.
        'wait 4',
        'chaos replace-pod',
        'wait-for Cluster sandbox degraded --timeout 60',
        'expect promoted replica',
        'expect alive but outside the cluster',
        'expect [1] Approve  [2] Reject',
        '/as U0SECOND',
        '1',
        'y',
        'wait-for All clear --timeout 120',
        'wait-healthy 60',
        'exit',
      ].join('\n'),
    );
    const code = await exited;
    expect(out, out).toMatch(/Cluster sandbox degraded/);
    expect(out).toMatch(/Requested by\s+Approvals\s*\n\s*watcher/);
    expect(out).toMatch(/All clear: cluster sandbox is healthy again\. The incident lasted \d+s\./);
    expect(out).not.toContain('line(s) failed');
    expect(code).toBe(0);
  });
});
