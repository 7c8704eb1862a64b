/** Checks that a sandbox left no redis-server behind: by pid, and by what still answers at its addresses. */
import { execFileSync } from 'node:child_process';

/** Is `pid` a live redis-server (not a zombie, not a reused pid of something else)? */
export function isLiveRedis(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z') && stat.includes('redis-server');
  } catch {
    return false; // ps exits 1 when the pid does not exist
  }
}

/** The pids still live once they had `withinMs` to go: a killed process may take a moment to be reaped. */
export async function liveAfter(pids: number[], withinMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const live = pids.filter(isLiveRedis);
    if (live.length === 0 || Date.now() > deadline) return live;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The addresses where a server started from `dir` still answers. Another test may already listen on a freed
 * port, so an answer alone proves nothing: its `config_file` says whose server it is.
 */
export function serversFromDirAt(addrs: string[], dir: string): string[] {
  const left: string[] = [];
  for (const addr of addrs) {
    const [host, port] = addr.split(':') as [string, string];
    let info: string;
    try {
      info = execFileSync('redis-cli', ['-h', host, '-p', port, 'INFO', 'server'], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch {
      continue; // nothing listens there any more
    }
    const conf = /^config_file:(.*)$/m.exec(info)?.[1]?.trim() ?? '';
    if (conf.startsWith(dir)) left.push(`${addr} (${conf})`);
  }
  return left;
}
