#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) with esbuild into dist/cli-bundle/: one small entry, and a chunk per verb
// loaded only when that verb runs, so `redis-medic status` starts without resolving hundreds of modules.
// bin/redis-medic.js prefers this bundle; without it, it runs dist/cli (tsc) or the sources through tsx.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli-bundle');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('build-cli: esbuild is not installed; the CLI runs from dist/cli instead\n');
  process.exit(0);
}
rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Packages stay in node_modules (loaded on demand by the verbs that use them); our own code is bundled.
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'warning',
});
const files = Object.entries(result.metafile.outputs).map(([f, o]) => `${f.split('/').pop()} ${o.bytes} B`);
process.stdout.write(`build-cli: dist/cli-bundle: ${files.join(', ')}\n`);
