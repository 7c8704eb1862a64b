/**
 * `INFO a b c` (Redis 7+) or a plain `INFO` answers several sections in one text, each under a `# Name`
 * header. Splits it so each section's parser (parse-info.ts) reads only its own lines.
 */
export function splitInfoSections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name = '';
  let start = 0;
  const flush = (end: number) => {
    if (name !== '') out[name] = (out[name] ?? '') + text.slice(start, end);
  };
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl + 1;
    if (text.charCodeAt(pos) === 35 /* # */) {
      flush(pos);
      name = text
        .slice(pos + 1, end)
        .trim()
        .toLowerCase();
      start = end;
    }
    if (nl === -1) break;
    pos = end;
  }
  flush(text.length);
  return out;
}

/** Keys in db0 from the `keyspace` section (`db0:keys=12,expires=0,…`); 0 when db0 is absent (empty). */
export function keysInDb0(keyspace: string): number {
  const m = /^db0:keys=(\d+)/m.exec(keyspace);
  return m ? Number(m[1]) : 0;
}
