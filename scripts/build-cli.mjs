#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) with esbuild into one CommonJS file, dist/cli-bundle/main.cjs, that
// bin/redis-medic.js loads with a V8 code cache (see there). Each verb's modules are wrapped and run only
// when that verb first needs them (esbuild's lazy init for `import()`), and so are the packages they
// require: `status` loads neither ioredis nor zod. Without the bundle the bin runs dist/cli (tsc) or tsx.
import { readFileSync, rmSync } from 'node:fs';
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

// Small packages on the status path are bundled (no node_modules lookup at start); the others stay outside.
const BUNDLED_PACKAGES = new Set(['cluster-key-slot']);
const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(outdir, { recursive: true, force: true });
// CommonJS, one file: `require('node:fs')` is the module itself, where an ES `import` of a builtin builds a
// facade reading every export (fs then loads its streams); and one file is one lookup, not one per chunk.
const result = await esbuild.build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  external: Object.keys(dependencies).filter((p) => !BUNDLED_PACKAGES.has(p)),
  outExtension: { '.js': '.cjs' },
  metafile: true,
  logLevel: 'warning',
});
const files = Object.entries(result.metafile.outputs).map(([f, o]) => `${f.split('/').pop()} ${o.bytes} B`);
process.stdout.write(`build-cli: dist/cli-bundle: ${files.join(', ')}\n`);
