#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli-bundle, `npm run build`), else dist/cli (tsc), else straight from the
// TypeScript sources via tsx. Node's compile cache keeps the compiled code between runs (a faster start).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

module.enableCompileCache?.();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `.env` in the working directory, as `npm start` reads it; variables already set win.
if (existsSync('.env')) process.loadEnvFile('.env');
const bundled = join(root, 'dist', 'cli-bundle', 'main.mjs');
const built = join(root, 'dist', 'cli', 'main.js');
let mod;
if (existsSync(bundled)) {
  mod = await import(pathToFileURL(bundled).href);
} else if (existsSync(built)) {
  mod = await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
const code = await mod.main(process.argv.slice(2));
// Exit once stdout is flushed: a pending socket must never keep the CLI alive.
process.stdout.write('', () => process.exit(code));
