// The shape rules of src/: lists functions over 120 lines and files over 400 lines (`node scripts/shape-report.mjs`).

import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const files = execSync('git ls-files src', { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts'));
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n').length;
  if (lines > 400) console.log(`FILE ${lines} ${f}`);
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const b = sf.getLineAndCharacterOfPosition(n.end).line;
      if (b - a + 1 > 120) {
        const name =
          n.name?.getText?.() ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : '(anon)');
        console.log(`FUNC ${b - a + 1} ${f}:${a + 1} ${name}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
