import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClusterNodesCache } from '../../../src/core/topology/parse-cache.ts';
import { parseClusterNodes } from '../../../src/core/topology/parse-cluster-nodes.ts';

const dir = join(import.meta.dirname, '../../fixtures/cluster-nodes');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));

/** The same text with every ping-sent / pong-recv moved on, as a node sends it a second later. */
const later = (text: string, by: number) =>
  text.replace(
    /^(\S+ \S+ \S+ \S+) (\d+) (\d+) /gm,
    (_m, head: string, ping: string, pong: string) =>
      `${head} ${Number(ping) + (Number(ping) > 0 ? by : 0)} ${Number(pong) + by} `,
  );

describe('CLUSTER NODES parse cache', () => {
  it('reads every recorded text exactly as the parser does, first time and again', () => {
    const cache = createClusterNodesCache();
    for (const f of fixtures) {
      expect(cache.parse('a:1', f.text), f.name).toEqual(parseClusterNodes(f.text));
      expect(cache.parse('b:1', f.text), f.name).toEqual(parseClusterNodes(f.text));
    }
  });

  it('reads the new ping and pong times of a text that only moved on in time', () => {
    const cache = createClusterNodesCache();
    for (const f of fixtures) {
      cache.parse('a:1', f.text);
      const next = later(f.text, 1234);
      expect(cache.parse('a:1', next), f.name).toEqual(parseClusterNodes(next));
    }
  });

  it('sees a change in any other field (a node that failed, a slot that moved)', () => {
    const cache = createClusterNodesCache();
    const f = fixtures.find((x) => / master - /.test(x.text) && / connected \d/.test(x.text))!;
    cache.parse('a:1', f.text);
    const failed = f.text.replace(/ master - /, ' master,fail - ');
    expect(cache.parse('a:1', failed)).toEqual(parseClusterNodes(failed));
    const moved = f.text.replace(/ connected (\d+)-/, (_m, s: string) => ` connected ${Number(s) + 1}-`);
    expect(cache.parse('a:1', moved)).toEqual(parseClusterNodes(moved));
  });

  it("reads another node's text, its lines in another order and one of them changed, as the parser does", () => {
    const cache = createClusterNodesCache();
    for (const f of fixtures.filter((x) => x.text.trim().split('\n').length > 2)) {
      cache.parse('a:1', f.text);
      const lines = later(f.text, 77).trimEnd().split('\n').reverse();
      lines[1] = lines[1]!.replace(/ (master|slave)(,\S+)? /, ' $1,fail ');
      const other = `${lines.join('\n')}\n`;
      expect(cache.parse('b:1', other), f.name).toEqual(parseClusterNodes(other));
      expect(cache.parse('c:1', other), f.name).toEqual(parseClusterNodes(other));
    }
  });

  it('gives the parser its say on a line it cannot read, with the same error', () => {
    const cache = createClusterNodesCache();
    const f = fixtures[0]!;
    const broken = `${f.text.trimEnd()}\nnot-a-node-id 127.0.0.1:1@2 master - 0 0 1 connected\n`;
    const got = cache.parse('a:1', broken);
    expect(got.ok).toBe(false);
    expect(got).toEqual(parseClusterNodes(broken));
  });
});

describe('CLUSTER NODES parse cache: shapes', () => {
  it('gives a text moved on in time the same shape, and a changed one another', () => {
    const cache = createClusterNodesCache();
    const f = fixtures.find((x) => / master - /.test(x.text))!;
    cache.parse('a:1', f.text);
    const shape = cache.shapeOf('a:1');
    // Lines named by number: the cache read them, not the full parser (whose shape is the whole text).
    expect(shape).toMatch(/^\d+(,\d+)*$/);
    cache.parse('a:1', later(f.text, 1000));
    expect(cache.shapeOf('a:1')).toBe(shape);
    cache.parse('a:1', f.text.replace(/ master - /, ' master,fail - '));
    expect(cache.shapeOf('a:1')).not.toBe(shape);
  });
});

describe('CLUSTER NODES parse cache: peek', () => {
  it('gives every field but ping/pong as the parser does', () => {
    const cache = createClusterNodesCache();
    for (const f of fixtures) {
      cache.parse('a:1', f.text);
      const next = later(f.text, 777);
      const peeked = cache.peek('a:1', next);
      const want = parseClusterNodes(next);
      expect(peeked.ok, f.name).toBe(want.ok);
      if (!peeked.ok || !want.ok) continue;
      const withoutTimes = (vs: typeof want.value) => vs.map((v) => ({ ...v, pingSent: 0, pongRecv: 0 }));
      expect(withoutTimes(peeked.value), f.name).toEqual(withoutTimes(want.value));
    }
  });

  it('gives the same views again for a text that only moved on in time, and new ones when a line changed', () => {
    const cache = createClusterNodesCache();
    const f = fixtures.find((x) => / master - /.test(x.text) && x.text.trim().split('\n').length > 2)!;
    const first = cache.peek('a:1', f.text);
    const again = cache.peek('a:1', later(f.text, 1000));
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.value).toBe(first.value);
    const failed = later(f.text, 2000).replace(/ master - /, ' master,fail - ');
    const changed = cache.peek('a:1', failed);
    const want = parseClusterNodes(failed);
    expect(changed.ok && want.ok).toBe(true);
    if (!changed.ok || !want.ok) return;
    expect(changed.value).not.toBe(first.value);
    const withoutTimes = (vs: typeof want.value) => vs.map((v) => ({ ...v, pingSent: 0, pongRecv: 0 }));
    expect(withoutTimes(changed.value)).toEqual(withoutTimes(want.value));
    // Back to the first text at another address: its lines are known, the views are the parser's.
    const elsewhere = cache.peek('b:1', later(f.text, 3000));
    const base = parseClusterNodes(f.text);
    expect(elsewhere.ok && base.ok).toBe(true);
    if (!elsewhere.ok || !base.ok) return;
    expect(withoutTimes(elsewhere.value)).toEqual(withoutTimes(base.value));
  });

  it('reads lines ending in CRLF, and a last line without a newline, as the parser does', () => {
    const cache = createClusterNodesCache();
    const f = fixtures.find((x) => / master - /.test(x.text))!;
    const crlf = f.text.replace(/\n/g, '\r\n');
    cache.parse('a:1', crlf);
    const next = later(crlf, 5).trimEnd();
    expect(cache.parse('a:1', next)).toEqual(parseClusterNodes(next));
  });
});
