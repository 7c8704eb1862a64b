#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli-bundle/main.cjs, `npm run build`), else dist/cli (tsc), else straight
// from the TypeScript sources via tsx. Builtins come from process.getBuiltinModule, not `import`: an imported
// builtin builds an ESM facade that reads every export, lazy ones included (fs would load its streams).
const fs = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { fileURLToPath } = process.getBuiltinModule('node:url');

module.enableCompileCache?.();
// `.env` in the working directory, as `npm start` reads it; variables already set win.
if (fs.existsSync('.env')) process.loadEnvFile('.env');
const argv = process.argv.slice(2);
const bundle = new URL('../dist/cli-bundle/main.cjs', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

/**
 * Loads the bundle with a V8 code cache made at the end of an earlier run of the same verb, so it holds every
 * function that run compiled; Node's own compile cache is made before the code runs and holds only the top
 * level. The cache lives in Node's compile-cache directory (none when NODE_DISABLE_COMPILE_CACHE is set);
 * V8 rejects a cache made for other source or another Node, and then a new one is written.
 */
function loadBundle(file, verb) {
  const vm = process.getBuiltinModule('node:vm');
  const source = fs.readFileSync(file, 'utf8');
  const dir = module.getCompileCacheDir?.();
  const { size, mtimeMs } = fs.statSync(file);
  const name = /^[a-z]{1,16}$/.test(verb ?? '') ? verb : 'other';
  const cacheFile = dir ? `${dir}/redis-medic-${name}-${size}-${Math.round(mtimeMs)}.v8` : undefined;
  let cachedData;
  try {
    if (cacheFile) cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cjs = { exports: {} };
  script.runInThisContext()(
    cjs.exports,
    module.createRequire(file),
    cjs,
    file,
    file.slice(0, file.lastIndexOf('/')),
  );
  const saveCache = () => {
    if (!cacheFile || (cachedData && !script.cachedDataRejected)) return;
    try {
      // Written aside and renamed: a CLI started meanwhile reads the old cache or the new one, never half.
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // No cache this time (read-only or full disk): the next run compiles again.
    }
  };
  return { mod: cjs.exports, saveCache };
}

let mod;
let saveCache;
if (fs.existsSync(bundle)) ({ mod, saveCache } = loadBundle(fileURLToPath(bundle), argv[0]));
else if (fs.existsSync(built)) mod = await import(built.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
const code = await mod.main(argv);
saveCache?.();
// Exit once stdout is flushed: a pending socket must never keep the CLI alive.
process.stdout.write('', () => process.exit(code));
