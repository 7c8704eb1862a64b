/** Waiting for a spawned `npm start` to exit, for the e2e tests that check what it printed and its exit code. */
import type { ChildProcess } from 'node:child_process';

/** What the process printed and its exit code, once it exits; SIGKILLed if it is still running after `timeoutMs`. */
export function runToExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let stdout = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}
