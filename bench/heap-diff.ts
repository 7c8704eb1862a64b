/**
 * Compares two V8 heap snapshots (`.heapsnapshot`, e.g. from `bench/soak.ts --snapshots DIR`): live objects
 * counted by constructor / kind, and the constructors whose count or size grew most from A to B.
 *
 *   npx tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [top=25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface Group {
  count: number;
  bytes: number;
}

/** Objects of a snapshot grouped by `type:name` (name is the constructor for objects); hidden/synthetic left out. */
export function groupsOf(file: string): Map<string, Group> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, Group>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!] ?? '?';
    if (type === 'hidden' || type === 'synthetic') continue;
    const name = type === 'string' || type === 'number' ? '' : (snap.strings[snap.nodes[i + iName]!] ?? '?');
    const key = `${type}:${name.slice(0, 80)}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += snap.nodes[i + iSize]!;
    out.set(key, g);
  }
  return out;
}

export function diff(a: Map<string, Group>, b: Map<string, Group>) {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .map((k) => {
      const x = a.get(k) ?? { count: 0, bytes: 0 };
      const y = b.get(k) ?? { count: 0, bytes: 0 };
      return { key: k, count: y.count - x.count, bytes: y.bytes - x.bytes, countB: y.count };
    })
    .sort((p, q) => q.bytes - p.bytes);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [fa, fb, topArg] = process.argv.slice(2);
  if (!fa || !fb) {
    console.error('usage: npx tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [top=25]');
    process.exit(2);
  }
  const a = groupsOf(fa);
  const b = groupsOf(fb);
  const total = (m: Map<string, Group>) => [...m.values()].reduce((s, g) => s + g.bytes, 0);
  const mib = (n: number) => (n / 2 ** 20).toFixed(2);
  console.log(`A ${mib(total(a))} MiB, B ${mib(total(b))} MiB, B − A ${mib(total(b) - total(a))} MiB`);
  const rows = diff(a, b);
  const top = Number(topArg ?? 25);
  console.log('grew most (bytes):');
  for (const r of rows.slice(0, top))
    console.log(
      `  ${String(r.bytes).padStart(10)} B  ${String(r.count).padStart(7)} objs  (now ${r.countB})  ${r.key}`,
    );
  console.log('grew most (count):');
  for (const r of [...rows].sort((p, q) => q.count - p.count).slice(0, top))
    console.log(
      `  ${String(r.count).padStart(7)} objs  ${String(r.bytes).padStart(10)} B  (now ${r.countB})  ${r.key}`,
    );
}
