/** The layers' import rules, read from the sources: app never reaches into adapters, adapters never into the composition root. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative import of `file` (static and dynamic), as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, normalize(join(ROOT, dirname(file), s))));
}

function violations(dir: string, forbidden: (target: string) => boolean): string[] {
  return tsFiles(dir).flatMap((f) =>
    importsOf(f)
      .filter(forbidden)
      .map((t) => `${f} -> ${t}`),
  );
}

describe('the import graph of src/', () => {
  it('nothing in src/app imports from src/adapters', () => {
    expect(violations('src/app', (t) => t.startsWith('src/adapters/'))).toEqual([]);
  });

  it('nothing in src/adapters or src/app imports the composition root', () => {
    const root = (t: string) => t === 'src/compose.ts' || t === 'src/main.ts' || t.startsWith('src/compose/');
    expect([...violations('src/adapters', root), ...violations('src/app', root)]).toEqual([]);
  });

  it('src/app and src/core use no Redis, queue or Slack client: they reach them through ports', () => {
    const clients = /from\s+['"](ioredis|bullmq|@slack\/bolt|@slack\/web-api|@kubernetes\/client-node)['"]/;
    const users = [...tsFiles('src/app'), ...tsFiles('src/core')].filter((f) =>
      clients.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(users).toEqual([]);
  });

  it('nothing in src/core imports from src/app or src/adapters', () => {
    expect(violations('src/core', (t) => t.startsWith('src/app/') || t.startsWith('src/adapters/'))).toEqual(
      [],
    );
  });
});
