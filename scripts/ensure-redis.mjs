#!/usr/bin/env node
// Makes sure redis-server and redis-cli (and, with --tmux, tmux for the console test) are on PATH:
// installs what is missing with apt-get when we are root, else prints one line saying how.
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const wanted = [{ bins: ['redis-server', 'redis-cli'], apt: 'redis-server', brew: 'redis' }];
if (process.argv.includes('--tmux')) wanted.push({ bins: ['tmux'], apt: 'tmux', brew: 'tmux' });
const missing = () => wanted.filter((w) => !w.bins.every(has));

if (missing().length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get')) {
  const pkgs = missing().map((w) => w.apt);
  console.error(`redis-medic: installing ${pkgs.join(', ')} with apt-get…`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  } catch {
    // fall through to the one-line instruction below
  }
  if (missing().length === 0) process.exit(0);
}
const left = missing();
console.error(
  `redis-medic: ${left.map((w) => w.bins[0]).join(' and ')} ${left.length > 1 ? 'are' : 'is'} required and not installed. Install (Debian/Ubuntu: sudo apt-get install -y ${left.map((w) => w.apt).join(' ')}; macOS: brew install ${left.map((w) => w.brew).join(' ')}) and run the command again.`,
);
process.exit(1);
