/**
 * Every redis-server this process started, in a process-wide table: killed (SIGCONT, then SIGKILL) on `stop()`,
 * on process exit, on SIGINT/SIGTERM, and — if this process itself is SIGKILLed — by a tiny detached `sh`
 * watchdog that notices the parent is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalNode } from './server.ts';

interface Tracked {
  child: ChildProcess;
  frozen: boolean;
}
const tracked = new Map<number, Tracked>();
const ownedDirs = new Set<string>();
let hooksInstalled = false;
let rootDir: string | undefined;

/** Process-wide root: `<tmp>/redis-medic-lc-XXXX/`, holding `pids/` markers for the watchdog. */
function root(): string {
  if (rootDir) return rootDir;
  rootDir = mkdtempSync(join(tmpdir(), 'redis-medic-lc-'));
  mkdirSync(join(rootDir, 'pids'));
  installHooks(rootDir);
  return rootDir;
}

function killAllSync(): void {
  for (const [pid, t] of tracked) {
    try {
      if (t.frozen) process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tracked.clear();
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
  if (rootDir) rmSync(rootDir, { recursive: true, force: true });
}

function installHooks(dir: string): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync();
      // Only exit ourselves when nobody else (e.g. the sandbox) handles the signal.
      if (process.listenerCount(sig) <= 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.on(sig, onSignal);
  }
  // The watchdog: if this process dies without running its exit hooks (SIGKILL), kill what we started.
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for p in $(ls "${dir}/pids" 2>/dev/null); do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; rm -rf "${dir}"`;
  const dog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  dog.unref();
}

/** A fresh directory under the root, removed at exit unless released first. */
export function makeOwnedDir(prefix: string): string {
  const dir = mkdtempSync(join(root(), prefix));
  ownedDirs.add(dir);
  return dir;
}

export function removeOwnedDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  ownedDirs.delete(dir);
}

export function track(child: ChildProcess): void {
  const pid = child.pid!;
  tracked.set(pid, { child, frozen: false });
  writeFileSync(join(root(), 'pids', String(pid)), '');
  child.once('exit', () => untrack(pid));
}

function untrack(pid: number): void {
  tracked.delete(pid);
  try {
    if (rootDir) unlinkSync(join(rootDir, 'pids', String(pid)));
  } catch {
    // already removed
  }
}

/** SIGKILL (SIGCONT first when frozen); resolves once the process is gone. */
export async function killChild(child: ChildProcess | undefined, node: LocalNode): Promise<void> {
  if (node.state === 'killed') return;
  const t = tracked.get(node.pid);
  try {
    if (node.state === 'frozen' || t?.frozen) process.kill(node.pid, 'SIGCONT');
  } catch {
    // gone
  }
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  }
  untrack(node.pid);
  node.state = 'killed';
}

/** SIGSTOP a running node (frozen: true) or SIGCONT a frozen one (frozen: false); otherwise nothing. */
export function setFrozen(node: LocalNode, frozen: boolean): void {
  if (node.state !== (frozen ? 'running' : 'frozen')) return;
  process.kill(node.pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  const t = tracked.get(node.pid);
  if (t) t.frozen = frozen;
  node.state = frozen ? 'frozen' : 'running';
}
