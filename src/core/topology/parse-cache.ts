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

/**
 * Parses `CLUSTER NODES` texts, each distinct one once. Nodes that agree describe every node with the same
 * line, except the `ping-sent` / `pong-recv` times, so a line is remembered without them and only those two
 * numbers are read again; a node whose whole text is unchanged since the last call gets its last views back.
 * A scan of n nodes then parses about 2n lines instead of n², and a watcher's next interval almost none.
 * The views it returns are shared: callers must not change them (none does).
 */
export function createClusterNodesCache() {
  const lastByAddr = new Map<
    Addr,
    { text: string; result: ParseResult<NodeView[]>; shape: string; lines: KnownLine[] }
  >();
  /** Each distinct line (without ping/pong), by its text without those two fields. */
  const byKey = new Map<string, KnownLine>();
  let counter = 0;

  /** A line not seen at this place of this address's last text: by its key, else parsed. */
  function knownLine(line: string, headEnd: number, tailStart: number): KnownLine | undefined {
    if (line.includes('\t') || line.includes('  ') || line.startsWith(' ')) return undefined;
    const head = line.slice(0, headEnd);
    const tail = line.slice(tailStart);
    const key = head + tail;
    const hit = byKey.get(key);
    if (hit) return hit;
    const parsed = parseClusterNodes(line);
    if (!parsed.ok || parsed.value.length !== 1) return undefined;
    const k = { view: parsed.value[0]!, n: counter++, head, tail };
    if (byKey.size >= MAX_LINES) byKey.clear();
    byKey.set(key, k);
    return k;
  }

  /**
   * The views of a text, its shape (its lines' numbers; the whole text when it took the full parser) and its
   * lines. A line equal to the one at the same place in `prev` but for ping/pong costs two `startsWith`.
   */
  function parseLines(text: string, prev?: { shape: string; lines: KnownLine[] }) {
    const full = () => ({ result: parseClusterNodes(text), shape: text, lines: [] as KnownLine[] });
    const views: NodeView[] = [];
    const lines: KnownLine[] = [];
    let same = prev !== undefined;
    let start = 0;
    while (start < text.length) {
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
      const p = prev?.lines[lines.length];
      let k: KnownLine | undefined;
      if (
        p &&
        sp4 + 1 - from === p.head.length &&
        stop - sp6 === p.tail.length &&
        text.startsWith(p.head, from) &&
        text.startsWith(p.tail, sp6)
      )
        k = p;
      else {
        same = false;
        k = knownLine(text.slice(from, stop), sp4 + 1 - from, sp6 - from);
        if (!k) return full();
      }
      lines.push(k);
      const view = k.view;
      views.push(
        view.pingSent === pingSent && view.pongRecv === pongRecv ? view : { ...view, pingSent, pongRecv },
      );
    }
    const shape =
      same && prev && prev.lines.length === lines.length ? prev.shape : lines.map((l) => l.n).join(',');
    return { result: { ok: true, value: views } as ParseResult<NodeView[]>, shape, lines };
  }

  return {
    /** The views of `text` as `addr` sent it; the same as `parseClusterNodes(text)`. */
    parse(addr: Addr, text: string): ParseResult<NodeView[]> {
      const last = lastByAddr.get(addr);
      if (last?.text === text) return last.result;
      const parsed = parseLines(text, last);
      lastByAddr.set(addr, { text, ...parsed });
      return parsed.result;
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
