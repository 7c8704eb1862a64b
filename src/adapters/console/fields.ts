/** Section fields side by side in two columns, and word-wrapping. */
import { padEnd, stripAnsi, visibleWidth } from './ansi.ts';
import type { TextObject } from './block-types.ts';
import { textOf } from './mrkdwn.ts';

/** Fields side by side, two per row as Slack shows them, the left column padded to one width. */
export function renderFields(fields: TextObject[], color: boolean, width: number): string[] {
  const colWidth = Math.max(20, Math.floor((width - 3) / 2));
  // A cell wider than its column is word-wrapped (its styling dropped): columns stay columns.
  const cells = fields.map((f) =>
    textOf(f, color).flatMap((l) => (visibleWidth(l) <= colWidth ? [l] : wrap(stripAnsi(l), colWidth))),
  );
  const rows: string[][][] = [];
  for (let i = 0; i < cells.length; i += 2) rows.push(cells.slice(i, i + 2));
  const leftWidth = Math.min(
    Math.max(...rows.map((r) => Math.max(0, ...(r[0] ?? []).map(visibleWidth)))),
    colWidth,
  );
  const out: string[] = [];
  for (const row of rows) {
    const left = row[0] ?? [];
    const right = row[1] ?? [];
    const n = Math.max(left.length, right.length);
    for (let i = 0; i < n; i++) {
      const l = left[i] ?? '';
      const r = right[i] ?? '';
      out.push(r === '' ? l : `${padEnd(l, leftWidth)}   ${r}`);
    }
  }
  return out;
}

/** Word-wraps plain text to `width` columns; a word longer than the width is cut. */
export function wrap(text: string, width: number): string[] {
  const indent = /^\s*/.exec(text)?.[0] ?? '';
  const words = text.trim().split(/\s+/);
  const out: string[] = [];
  let line = indent;
  for (let w of words) {
    while (w.length > width - indent.length) {
      if (line.trim()) out.push(line);
      out.push(indent + w.slice(0, width - indent.length));
      w = w.slice(width - indent.length);
      line = indent;
    }
    if (line.trim() === '') line = indent + w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = indent + w;
    }
  }
  if (line.trim() || out.length === 0) out.push(line);
  return out;
}
