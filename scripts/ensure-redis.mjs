#!/usr/bin/env node
// Makes sure redis-server and redis-cli are on PATH: installs them with apt-get when we are root, else says how.
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (has('redis-server') && has('redis-cli')) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get')) {
  console.error(
    'redis-medic: redis-server is missing; installing it with apt-get (Debian package redis-server)…',
  );
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    // fall through to the one-line instruction below
  }
  if (has('redis-server') && has('redis-cli')) process.exit(0);
}
console.error(
  'redis-medic: redis-server 7 is required and not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run the command again.',
);
process.exit(1);
