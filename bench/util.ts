/**
 * Small helpers shared by the benches: statistics, a high-resolution wall clock, RSS of a process, timing of a
 * command-line tool with a hard budget, and child processes that are always stopped (also on Ctrl-C).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock } from '../src/core/ports.ts';

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
let compiled: string | null | undefined;

/**
 * What production runs is compiled JavaScript (`node dist/main.js`), not TypeScript through a loader (whose
 * helpers, such as esbuild's function naming, cost CPU of their own): src/ compiled with tsconfig.build.json,
 * exactly as the image does, into this worktree's `.bench-cache/` (never the shared node_modules: two engineers'
 * runs would overwrite each other's build), once per bench process and removed at exit. Lazy `import()`s stay
 * lazy, as in the image. Null when tsc fails (said in `log`): callers fall back to the sources through tsx.
 */
export function compiledSrc(log: (l: string) => void): string | null {
  if (compiled !== undefined) return compiled;
  const outDir = resolve(ROOT, '.bench-cache', `dist-${process.pid}`);
  const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc');
  const built = spawnSync(
    process.execPath,
    [tsc, '-p', resolve(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    { encoding: 'utf8', timeout: 180_000 },
  );
  if (built.status === 0) {
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    compiled = outDir;
  } else {
    log(
      `  tsc build failed (${(built.stderr || built.stdout || String(built.error)).slice(0, 300)}); running src/ through tsx`,
    );
    compiled = null;
  }
  return compiled;
}

/** A module of src/ as production runs it (`js`, under `compiledSrc`), else its source through tsx (`ts`). */
export function srcModule<T>(js: string, ts: () => Promise<T>, log: (l: string) => void): Promise<T> {
  const dir = compiledSrc(log);
  return dir ? (import(pathToFileURL(resolve(dir, js)).href) as Promise<T>) : ts();
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
export const round2 = (x: number) => Math.round(x * 100) / 100;

/** Wall clock with sub-millisecond resolution: spreads of a few ms are not rounded away. */
export const preciseClock: Clock = { now: () => performance.timeOrigin + performance.now() };

/** A full GC on demand, with or without --expose-gc on the command line. */
export function fullGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resident set size of a process, from /proc (Linux): current and peak, in MiB. */
export function rssOf(pid: number): { rssMiB: number; peakMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 'NaN');
    return { rssMiB: round1(kb('VmRSS') / 1024), peakMiB: round1(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

export interface ToolRun {
  /** Wall time to exit, ms; Infinity when it was killed at the budget. */
  ms: number;
  exitCode: number | null;
  stdout: string;
}

/** Runs a command-line tool; SIGKILLs it at `limitMs` (the reference tools may hang forever). */
export function runTool(file: string, args: string[], limitMs: number): Promise<ToolRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        const ms = performance.now() - t0;
        if (err && (err as { killed?: boolean }).killed) {
          resolve({ ms: Number.POSITIVE_INFINITY, exitCode: null, stdout });
          return;
        }
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          reject(err);
          return;
        }
        resolve({ ms, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
      },
    );
    track(child);
  });
}

// Every child process we start (bot, worker, redis-cli) is killed when the bench ends, whatever the reason.
const children = new Set<ChildProcess>();
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}
export function killAllChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
process.once('exit', killAllChildren);

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  /** The last lines it printed (stderr and stdout), for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** `node <args>` (e.g. `--import tsx src/main.ts`) with `env`; output is kept (last 50 lines), not printed. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv): NodeProcess {
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const lines: string[] = [];
  const keep = (buf: Buffer) => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null) r();
    else child.once('exit', () => r());
  });
  return {
    child,
    pid: child.pid ?? -1,
    tail: () => lines.join('\n'),
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `probe` until truthy; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
