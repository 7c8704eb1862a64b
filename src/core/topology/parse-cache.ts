import type { ParseResult } from '../errors.ts';
import type { Addr, NodeView } from '../types.ts';
import { parseClusterNodes } from './parse-cluster-nodes.ts';

/** Bound on remembered lines: a few generations of a 1,000-node cluster; then the cache starts over. */
const MAX_LINES = 20_000;

/** A line seen before: its views, a number naming it, and its text before ping-sent and from config-epoch on. */
interface KnownLine {
  view: NodeView;
  n: number;
  /** Up to and including the space before ping-sent. */
  head: string;
  /** From the space before config-epoch to the end of the line. */
  tail: string;
}

/** What the cache keeps of an address's last text. */
interface AddrRecord {
  /** Its lines' numbers, comma-separated; the whole text when the full parser read it. */
  shape: string;
  lines: KnownLine[];
  /** ping-sent and pong-recv of each line, in line order; kept only for `parse` (peek has no use for them). */
  times?: number[];
  /** Each line's view, in line order, made once (and shared with the next record when its lines are the same). */
  views?: NodeView[];
  /** The full parser's result, for a text with a line the cache does not read. */
  full?: ParseResult<NodeView[]>;
}

/** The decimal number in text[from, to), or -1 when it is empty, not all digits, or too long. */
function digits(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** `text.startsWith(part, at)`, by a slice and `===`: several times faster on V8 for lines this long. */
function textAt(text: string, at: number, part: string): boolean {
  return text.substring(at, at + part.length) === part;
}

/**
 * Where the line at `from` ends (past its newline) when it is `known` but for its ping/pong times, which go
 * to `times`; -1 when it is not. Two string comparisons and the two numbers: no search for the fields.
 */
function matchKnown(text: string, from: number, known: KnownLine, times: number[] | undefined): number {
  if (!textAt(text, from, known.head)) return -1;
  let i = from + known.head.length;
  const pingAt = i;
  let ping = 0;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) ping = ping * 10 + c - 48;
  if (i === pingAt || i - pingAt > 15 || text.charCodeAt(i) !== 32) return -1;
  const pongAt = ++i;
  let pong = 0;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) pong = pong * 10 + c - 48;
  if (i === pongAt || i - pongAt > 15 || !textAt(text, i, known.tail)) return -1;
  let end = i + known.tail.length;
  if (text.charCodeAt(end) === 13) end++;
  if (end < text.length && text.charCodeAt(end) !== 10) return -1;
  times?.push(ping, pong);
  return end + 1;
}

/** Each distinct line (without ping/pong), by its text without those two fields and by its node id; the next number. */
interface LineTable {
  byKey: Map<string, KnownLine>;
  /** The lines seen for a node id (the last few): a new text's line is first tried against these. */
  byId: Map<string, KnownLine[]>;
  counter: number;
}

/** Lines kept per node id: its flags, link or slots change now and then, rarely more than this many at once. */
const LINES_PER_ID = 4;

/** The lines the table knows for the node id the line at `from` starts with. */
function linesOfId(table: LineTable, text: string, from: number): KnownLine[] | undefined {
  return text.charCodeAt(from + 40) === 32 ? table.byId.get(text.slice(from, from + 40)) : undefined;
}

/** A copy of `part` that does not keep the text it was sliced from alive (a V8 slice shares its parent's memory). */
function detached(part: string): string {
  return ` ${part}`.slice(1);
}

/** A line not seen at this place of this address's last text: by its key, else parsed. */
function knownLine(
  table: LineTable,
  line: string,
  headEnd: number,
  tailStart: number,
): KnownLine | undefined {
  if (line.includes('\t') || line.includes('  ') || line.startsWith(' ')) return undefined;
  const head = line.slice(0, headEnd);
  const tail = line.slice(tailStart);
  const key = head + tail;
  const hit = table.byKey.get(key);
  if (hit) return hit;
  // Kept for long: its own copy, so its view's strings do not keep the whole text alive.
  const own = detached(line);
  const parsed = parseClusterNodes(own);
  if (!parsed.ok || parsed.value.length !== 1) return undefined;
  const k = {
    view: parsed.value[0]!,
    n: table.counter++,
    head: own.slice(0, headEnd),
    tail: own.slice(tailStart),
  };
  if (table.byKey.size >= MAX_LINES) {
    table.byKey.clear();
    table.byId.clear();
  }
  table.byKey.set(k.head + k.tail, k);
  const id = k.view.id;
  const same = table.byId.get(id) ?? [];
  if (same.length >= LINES_PER_ID) same.shift();
  same.push(k);
  table.byId.set(id, same);
  return k;
}

/**
 * A text's lines, their ping/pong times (two numbers per line, with `keepTimes`) and its shape (its lines'
 * numbers); or the full parser's result when a line is unusual (then the shape is the whole text). A line equal
 * to the one at the same place in `prev` but for ping/pong costs two string comparisons (matchKnown); when every
 * line is, the record shares `prev`'s lines, views and shape (a watcher's quiet round allocates nothing here).
 */
function readLines(
  table: LineTable,
  text: string,
  prev: AddrRecord | undefined,
  keepTimes: boolean,
): AddrRecord {
  const full = (): AddrRecord => ({ shape: text, lines: [], full: parseClusterNodes(text) });
  // Undefined while every line so far is `prev`'s line at the same place (`count` of them).
  let lines: KnownLine[] | undefined;
  let count = 0;
  const times: number[] | undefined = keepTimes ? [] : undefined;
  const own = (): KnownLine[] => {
    lines ??= prev ? prev.lines.slice(0, count) : [];
    return lines;
  };
  let start = 0;
  while (start < text.length) {
    const p = prev?.lines[count];
    const next = p ? matchKnown(text, start, p, times) : -1;
    if (next >= 0) {
      lines?.push(p!);
      count++;
      start = next;
      continue;
    }
    // Another address's text had this line (nodes that agree list the same lines, in another order).
    let matched = -1;
    for (const k of linesOfId(table, text, start) ?? []) {
      matched = matchKnown(text, start, k, times);
      if (matched >= 0) {
        own().push(k);
        count++;
        break;
      }
    }
    if (matched >= 0) {
      start = matched;
      continue;
    }
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const from = start;
    const stop = end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    start = end + 1;
    if (stop === from) continue;
    // Fields: id addr flags master ping-sent pong-recv epoch link slots…; sp4, sp5, sp6: the spaces before
    // ping-sent, pong-recv and config-epoch.
    let sp4 = from - 1;
    for (let k = 0; k < 4; k++) {
      sp4 = text.indexOf(' ', sp4 + 1);
      if (sp4 === -1) break;
    }
    const sp5 = sp4 === -1 ? -1 : text.indexOf(' ', sp4 + 1);
    const sp6 = sp5 === -1 ? -1 : text.indexOf(' ', sp5 + 1);
    // Anything unusual (tabs, double spaces, short lines) goes to the full parser, errors included.
    if (sp6 === -1 || sp6 >= stop) return full();
    const pingSent = digits(text, sp4 + 1, sp5);
    const pongRecv = digits(text, sp5 + 1, sp6);
    if (pingSent < 0 || pongRecv < 0) return full();
    const k = knownLine(table, text.slice(from, stop), sp4 + 1 - from, sp6 - from);
    if (!k) return full();
    own().push(k);
    count++;
    times?.push(pingSent, pongRecv);
  }
  if (lines === undefined && prev && !prev.full && count === prev.lines.length) {
    return {
      shape: prev.shape,
      lines: prev.lines,
      ...(prev.views ? { views: prev.views } : {}),
      ...(times ? { times } : {}),
    };
  }
  const mine = own();
  return { shape: mine.map((l) => l.n).join(','), lines: mine, ...(times ? { times } : {}) };
}

/** The views of a record with its own ping/pong times (a copy of a line's view where they differ). */
function exactViews(rec: AddrRecord): ParseResult<NodeView[]> {
  if (rec.full) return rec.full;
  const views: NodeView[] = new Array(rec.lines.length);
  for (let i = 0; i < rec.lines.length; i++) {
    const view = rec.lines[i]!.view;
    const pingSent = rec.times![2 * i]!;
    const pongRecv = rec.times![2 * i + 1]!;
    views[i] =
      view.pingSent === pingSent && view.pongRecv === pongRecv ? view : { ...view, pingSent, pongRecv };
  }
  return { ok: true, value: views };
}

/**
 * Parses `CLUSTER NODES` texts, each distinct one once. Nodes that agree describe every node with the same
 * line, except the `ping-sent` / `pong-recv` times, so a line is remembered without them and only those two
 * numbers are read again, and a line equal to the one at its place in the address's last text but for those
 * costs two string comparisons. A scan of n nodes then parses about 2n lines instead of n², and a watcher's next interval almost none.
 * The views it returns are shared: callers must not change them (none does).
 */
export function createClusterNodesCache() {
  // Per address its lines, times and shape, not its text nor its views: those change with every ping/pong, and
  // keeping them would hold a round's worth of views (n² objects) into the next round, for the old GC to trace.
  const lastByAddr = new Map<Addr, AddrRecord>();
  const table: LineTable = { byKey: new Map(), byId: new Map(), counter: 0 };

  /** Reads `text` as `addr`'s latest and remembers it. */
  function remember(addr: Addr, text: string, keepTimes: boolean): AddrRecord {
    const rec = readLines(table, text, lastByAddr.get(addr), keepTimes);
    lastByAddr.set(addr, rec);
    return rec;
  }

  return {
    /** The views of `text` as `addr` sent it; the same as `parseClusterNodes(text)`. */
    parse(addr: Addr, text: string): ParseResult<NodeView[]> {
      return exactViews(remember(addr, text, true));
    },
    /**
     * `parse`, but each view's `pingSent` / `pongRecv` may be those of an earlier text with the same line (every
     * other field is this text's): the views are shared, no copy per line and address. No finding reads those two.
     */
    peek(addr: Addr, text: string): ParseResult<NodeView[]> {
      const rec = remember(addr, text, false);
      if (rec.full) return rec.full;
      rec.views ??= rec.lines.map((l) => l.view);
      return { ok: true, value: rec.views };
    },
    /**
     * What `addr`'s last text said, without the ping/pong times: equal shapes, equal views but for those.
     * Undefined when nothing was parsed for it.
     */
    shapeOf(addr: Addr): string | undefined {
      return lastByAddr.get(addr)?.shape;
    },
    /** Forget addresses no longer asked (a watcher calls this so the cache follows the cluster). */
    retain(addrs: ReadonlySet<Addr>): void {
      for (const a of lastByAddr.keys()) if (!addrs.has(a)) lastByAddr.delete(a);
    },
  };
}

export type ClusterNodesCache = ReturnType<typeof createClusterNodesCache>;
