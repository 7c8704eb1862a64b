import type { ParseResult } from '../errors.ts';
import type { Addr, NodeView } from '../types.ts';
import { parseClusterNodes } from './parse-cluster-nodes.ts';

/** Bound on remembered lines: a few generations of a 1,000-node cluster; then the cache starts over. */
const MAX_LINES = 20_000;

/**
 * Parses `CLUSTER NODES` texts, each distinct one once. Nodes that agree describe every node with the same
 * line, except the `ping-sent` / `pong-recv` times, so a line is remembered without them and only those two
 * numbers are read again; a node whose whole text is unchanged since the last call gets its last views back.
 * A scan of n nodes then parses about 2n lines instead of n², and a watcher's next interval almost none.
 * The views it returns are shared: callers must not change them (none does).
 */
export function createClusterNodesCache() {
  const lastByAddr = new Map<Addr, { text: string; result: ParseResult<NodeView[]>; shape: string }>();
  /** Each distinct line (without ping/pong) with its views and a number naming it. */
  const lines = new Map<string, { view: NodeView; n: number }>();
  let counter = 0;

  /** The views, and the text's shape: its lines' numbers (the whole text when it took the full parser). */
  function parseLines(text: string): { result: ParseResult<NodeView[]>; shape: string } {
    const full = () => ({ result: parseClusterNodes(text), shape: text });
    const views: NodeView[] = [];
    let shape = '';
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      // Fields: id addr flags master ping-sent pong-recv epoch link slots…; the key leaves out 4 and 5.
      // sp4, sp5, sp6: the spaces before ping-sent, pong-recv and config-epoch.
      let sp4 = -1;
      for (let k = 0; k < 4; k++) {
        sp4 = line.indexOf(' ', sp4 + 1);
        if (sp4 === -1) break;
      }
      const sp5 = sp4 === -1 ? -1 : line.indexOf(' ', sp4 + 1);
      const sp6 = sp5 === -1 ? -1 : line.indexOf(' ', sp5 + 1);
      // Anything unusual (tabs, double spaces, short lines) goes to the full parser, errors included.
      if (sp6 === -1 || line.includes('\t') || line.includes('  ') || line.startsWith(' ')) return full();
      const pingSent = Number(line.slice(sp4 + 1, sp5));
      const pongRecv = Number(line.slice(sp5 + 1, sp6));
      if (!(pingSent >= 0 && pongRecv >= 0)) return full();
      const key = line.slice(0, sp4) + line.slice(sp6);
      let known = lines.get(key);
      if (!known) {
        const parsed = parseClusterNodes(line);
        if (!parsed.ok || parsed.value.length !== 1) return full();
        known = { view: parsed.value[0]!, n: counter++ };
        if (lines.size >= MAX_LINES) lines.clear();
        lines.set(key, known);
      }
      const view = known.view;
      shape += `${known.n},`;
      views.push(
        view.pingSent === pingSent && view.pongRecv === pongRecv ? view : { ...view, pingSent, pongRecv },
      );
    }
    return { result: { ok: true, value: views }, shape };
  }

  return {
    /** The views of `text` as `addr` sent it; the same as `parseClusterNodes(text)`. */
    parse(addr: Addr, text: string): ParseResult<NodeView[]> {
      const last = lastByAddr.get(addr);
      if (last?.text === text) return last.result;
      const parsed = parseLines(text);
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
