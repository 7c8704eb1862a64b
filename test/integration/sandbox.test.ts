/**
 * `npm run sandbox -- --script -` as a child process: real redis-server processes, the real app and worker.
 * The script is fed through stdin so the test can check the cluster with redis-cli before `exit`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { getPortRange } from '../../src/sandbox/local-cluster.ts';
import { liveAfter, serversFromDirAt } from '../support/processes.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

class SandboxProcess {
  readonly child: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    // The Node running the tests (24), not whatever `node` is first on PATH.
    // The sandbox's nodes take ports from this test worker's slice, like the test's own.
    const ports = getPortRange();
    const slice = ['--ports', `${ports.min}-${ports.max}`];
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', ...slice, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', WATCH_INTERVAL: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  send(lines: string): void {
    this.child.stdin!.write(lines.endsWith('\n') ? lines : `${lines}\n`);
  }

  /** Waits until `pattern` shows in the output after offset `from`. */
  async waitFor(pattern: RegExp | string, timeoutMs: number, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const hit = () => {
      const text = this.out.slice(from);
      return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
    };
    while (!hit()) {
      if (this.child.exitCode !== null)
        throw new Error(
          `sandbox exited (${this.child.exitCode}) before ${pattern}\n${this.out}\n${this.err}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Every pid the transcript names (`pid 1234`, `pids 1 2 3`). */
function pidsIn(transcript: string): number[] {
  const pids = new Set<number>();
  for (const m of transcript.matchAll(/\bpid (\d+)/g)) pids.add(Number(m[1]));
  for (const m of transcript.matchAll(/\bpids ([\d ]+)/g))
    for (const p of m[1]!.trim().split(/\s+/)) pids.add(Number(p));
  return [...pids];
}

function redisCli(addr: string, ...args: string[]): string {
  const [host, port] = addr.split(':') as [string, string];
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], {
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The `nodes` listing: `addr role state pid …` rows. */
function runningNodes(transcript: string): { addr: string; role: string }[] {
  const last = transcript.lastIndexOf('> nodes');
  return [...transcript.slice(last).matchAll(/^(\d+\.\d+\.\d+\.\d+:\d+)\s+(\S+)\s+running\s+pid \d+/gm)].map(
    (m) => ({
      addr: m[1]!,
      role: m[2]!,
    }),
  );
}

const started: SandboxProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  }
});

describe('the sandbox in scripted mode', () => {
  describe('when a master pod is replaced and a second approver approves the plan', () => {
    it('heals the cluster, shows it in the transcript, and leaves no process behind', async () => {
      const sb = new SandboxProcess(['--script', '-']);
      started.push(sb);
      await sb.waitFor('You are U0ONCALL', 90_000);
      sb.send(
        [
          'status',
          'expect cluster_state:ok',
          'chaos replace-pod',
          'expect started a fresh node',
          'wait-cluster-ok 30',
          'diagnose',
          'expect CLUSTER FORGET',
          '/as U0SECOND',
          '1',
          'y',
          'wait-for Succeeded --timeout 120',
          'wait-healthy 60',
          'status',
          'expect cluster_state:ok',
          'nodes',
        ].join('\n'),
      );
      await sb.waitFor(/> nodes\n[\s\S]*fresh\s+running\s+pid/, 180_000);
      const t = sb.out;

      // The transcript tells the story.
      expect(t).toMatch(/Killed master 127\.0\.0\.1:\d+ .*started a fresh node in its place/);
      expect(t).toMatch(/should be promoted in ~\d+ s \(cluster-node-timeout 2000 ms\)/);
      expect(t).toContain('[1] Approve  [2] Reject');
      expect(t).toContain('U0SECOND> 1');
      expect(t).toMatch(/cluster healthy after [\d.]+ s/);
      expect(t).not.toContain('✖');

      // redis-cli agrees: every member is ok, nobody is failed, the fresh node is a replica.
      const members = runningNodes(t).filter((n) => n.role !== 'spare');
      expect(members).toHaveLength(6);
      for (const n of members) {
        expect(redisCli(n.addr, 'CLUSTER', 'INFO')).toContain('cluster_state:ok');
        const nodes = redisCli(n.addr, 'CLUSTER', 'NODES');
        expect(nodes).not.toMatch(/\bfail\??\b|handshake|noaddr/);
        expect(nodes.trim().split('\n')).toHaveLength(6);
      }
      const fresh = runningNodes(t).find((n) => n.role === 'fresh')!;
      expect(redisCli(fresh.addr, 'ROLE').split('\n')[0]).toBe('slave');

      sb.send('exit');
      expect(await sb.exited).toBe(0);
      expect(sb.out).toMatch(/sandbox: bye; stopped \d+ redis-server processes \(pids [\d ]+\); removed /);

      // Nothing it started is still alive, and none of its servers answers at its addresses.
      const pids = pidsIn(sb.out);
      expect(pids.length).toBeGreaterThanOrEqual(10);
      expect(await liveAfter(pids)).toEqual([]);
      const dir = / removed (\S+)/.exec(sb.out)![1]!;
      const addrs = runningNodes(t).map((n) => n.addr);
      expect(serversFromDirAt(addrs, dir)).toEqual([]);
    });
  });

  describe('when most masters are killed (write-up 001)', () => {
    it('takes over with two approvers, brings the spares in, and ends healthy', async () => {
      const sb = new SandboxProcess(['--script', '-']);
      started.push(sb);
      await sb.waitFor('You are U0ONCALL', 90_000);
      sb.send(
        [
          'chaos kill-majority',
          'expect No promotion will happen',
          'wait 5',
          'diagnose',
          'expect CLUSTER FAILOVER TAKEOVER',
          '/as U0SECOND',
          '1 y',
          'expect waiting for a second approver',
          '/as U0THIRD',
          '1 y',
          'wait-for Succeeded --timeout 120',
          'wait-healthy 60',
          'nodes',
        ].join('\n'),
      );
      await sb.waitFor(/> nodes\n[\s\S]*spare\s+running\s+pid/, 180_000);
      expect(sb.out).not.toContain('✖');
      const members = runningNodes(sb.out);
      // 1 surviving master + its replica + 2 promoted replicas + the 2 spares as their replicas.
      expect(members).toHaveLength(6);
      for (const n of members) {
        expect(redisCli(n.addr, 'CLUSTER', 'INFO')).toContain('cluster_state:ok');
        expect(redisCli(n.addr, 'CLUSTER', 'NODES')).not.toMatch(/\bfail\??\b|handshake|noaddr/);
      }
      sb.send('exit');
      expect(await sb.exited).toBe(0);
      expect(await liveAfter(pidsIn(sb.out))).toEqual([]);
    });
  });

  describe('when the watcher is on', () => {
    it('shows the bot speaking first after a master is killed, without anyone typing', async () => {
      const sb = new SandboxProcess(['--script', '-'], { WATCH_INTERVAL: '2', WATCH_GRACE: '5' });
      started.push(sb);
      await sb.waitFor('You are U0ONCALL', 90_000);
      sb.send('chaos kill-master');
      await sb.waitFor(/Killed master (\S+)[\s\S]*Scanned \d+ addresses/, 60_000);
      const killed = /Killed master (\S+)/.exec(sb.out)![1]!;
      const quietFrom = sb.out.length;
      // Nothing more is typed: the next message is the watcher's own post, naming the dead master.
      await sb.waitFor('── redis-medic ·', 60_000, quietFrom);
      const post = sb.out.slice(quietFrom);
      expect(post).not.toMatch(/^U0ONCALL> /m);
      await sb.waitFor(killed, 10_000, quietFrom);
      sb.send('exit');
      expect(await sb.exited).toBe(0);
      expect(await liveAfter(pidsIn(sb.out))).toEqual([]);
    });
  });

  it('exits non-zero when a script line fails, and still stops everything', async () => {
    const sb = new SandboxProcess(['--script', '-']);
    started.push(sb);
    await sb.waitFor('You are U0ONCALL', 90_000);
    sb.send('status\nexpect this text is not there\nstatus\n');
    sb.child.stdin!.end();
    expect(await sb.exited).toBe(1);
    expect(sb.out).toContain('✖ expected “this text is not there”');
    expect(sb.out).toContain('sandbox: 1 line(s) failed');
    expect(await liveAfter(pidsIn(sb.out))).toEqual([]);
  });

  it('stops every process on SIGTERM', async () => {
    const sb = new SandboxProcess(['--script', '-']);
    started.push(sb);
    await sb.waitFor('You are U0ONCALL', 90_000);
    const pids = pidsIn(sb.out);
    sb.send('nodes');
    await sb.waitFor(/> nodes\n[\s\S]*spare\s+running\s+pid \d+/, 30_000);
    const all = [...new Set([...pids, ...pidsIn(sb.out)])];
    expect(all.length).toBeGreaterThanOrEqual(9);
    sb.child.kill('SIGTERM');
    await sb.exited;
    expect(await liveAfter(all)).toEqual([]);
  });
});
