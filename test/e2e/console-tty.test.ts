/**
 * The interactive sandbox console under a real pseudo-terminal (tmux): typing, the prompt, colours, the y/N
 * confirm question, Ctrl-C. Same flow as the scripted test: replace a pod, diagnose, approve as a second
 * user, wait until healthy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPortRange } from '../../src/sandbox/local-cluster.ts';
import { liveAfter } from '../support/processes.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SOCKET = `redis-medic-tty-${process.pid}-${Date.now()}`;
const SESSION = 'sandbox';
const confDir = mkdtempSync(join(tmpdir(), 'redis-medic-tmux-'));
const conf = join(confDir, 'tmux.conf');
writeFileSync(conf, 'set -g history-limit 50000\nset -g default-terminal "xterm-256color"\n');

const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', SOCKET, '-f', conf, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** The whole pane, history included; `-J` joins wrapped lines, `-e` keeps colour escapes. */
const capture = (escapes = false) =>
  tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-S', '-50000', '-t', SESSION);

async function waitForScreen(pattern: RegExp | string, timeoutMs: number, from = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = capture();
    const rest = screen.slice(from);
    if (typeof pattern === 'string' ? rest.includes(pattern) : pattern.test(rest)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function type(text: string): void {
  tmux('send-keys', '-t', SESSION, '-l', text);
  tmux('send-keys', '-t', SESSION, 'Enter');
}

afterAll(() => {
  try {
    // Ctrl-C first so the sandbox cleans up if a test failed half-way, then the private tmux server.
    tmux('send-keys', '-t', SESSION, 'C-c');
    execFileSync('sleep', ['3']);
    tmux('kill-server');
  } catch {
    // server already gone
  }
  rmSync(confDir, { recursive: true, force: true });
});

describe('the interactive console in a terminal', () => {
  it('replaces a pod, shows the plan, asks to confirm, runs it, and cleans up on Ctrl-C', async () => {
    const env = 'WATCH_INTERVAL=0 NO_COLOR= FORCE_COLOR=';
    // The sandbox's nodes take ports from this test worker's slice.
    const ports = getPortRange();
    tmux(
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '180',
      '-y',
      '50',
      `cd ${ROOT} && env ${env} ${process.execPath} --import tsx src/sandbox/main.ts --ports ${ports.min}-${ports.max}; echo "SANDBOX-EXIT=$?"; sleep 600`,
    );
    let screen = await waitForScreen('You are U0ONCALL', 90_000);
    expect(screen).toContain('chaos replace-pod');
    await waitForScreen(/U0ONCALL> $/m, 10_000);

    let mark = screen.length;
    type('status');
    screen = await waitForScreen('cluster_state:ok', 30_000, mark);
    // A terminal gets colours: the header is bold, a green/red/yellow marker somewhere.
    expect(capture(true)).toMatch(/\x1b\[[0-9;]*m/);

    mark = screen.length;
    type('chaos replace-pod');
    screen = await waitForScreen(/started a fresh node[\s\S]*State[\s\S]*cluster_state/, 60_000, mark);
    expect(screen.slice(mark)).toMatch(/should be promoted in ~\d+ s/);

    mark = screen.length;
    type('wait-cluster-ok 30');
    screen = await waitForScreen('cluster_state:ok on every member after', 40_000, mark);

    mark = screen.length;
    type('diagnose');
    screen = await waitForScreen('[1] Approve  [2] Reject', 30_000, mark);

    mark = screen.length;
    type('/as U0SECOND');
    screen = await waitForScreen(/U0SECOND> $/m, 10_000, mark);

    mark = screen.length;
    type('1');
    screen = await waitForScreen('[y/N]', 10_000, mark);
    mark = screen.length;
    type('y');
    screen = await waitForScreen('Succeeded', 150_000, mark);

    mark = screen.length;
    type('wait-healthy 60');
    screen = await waitForScreen('cluster healthy after', 70_000, mark);
    // The prompt is back after the worker's asynchronous messages.
    await waitForScreen(/U0SECOND> $/m, 10_000, mark);

    tmux('send-keys', '-t', SESSION, 'C-c');
    screen = await waitForScreen(/SANDBOX-EXIT=\d+/, 30_000);
    expect(screen).toMatch(/sandbox: interrupted; stopped \d+ redis-server processes \(pids [\d ]+\)/);
    expect(screen).toMatch(/SANDBOX-EXIT=0/);

    const pids = new Set<number>();
    for (const m of screen.matchAll(/\bpid (\d+)/g)) pids.add(Number(m[1]));
    for (const m of screen.matchAll(/\bpids ([\d ]+)/g))
      for (const p of m[1]!.trim().split(/\s+/)) pids.add(Number(p));
    expect(pids.size).toBeGreaterThanOrEqual(10);
    expect(await liveAfter([...pids])).toEqual([]);
  });
});
