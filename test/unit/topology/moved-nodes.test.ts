import { describe, expect, it } from 'vitest';
import { analyzeTopology, buildTopology, findMovedNodes } from '../../../src/core/topology/index.ts';
import type { Probe } from '../../../src/core/types.ts';
import { NEW, OLD, oldOf, plan, pods, scan } from './moved-helpers.ts';

describe('nodes back at new IPs with their ids', () => {
  describe('when every pod restarted at once', () => {
    const all = pods(NEW);
    const t = scan(all, (_o, n) => ({ addr: oldOf(n), flags: 'fail?' }));

    it('keeps them members, at the address where they answer', () => {
      expect(t.outsiders).toEqual([]);
      expect(t.nodes.map((n) => n.addr).sort()).toEqual(NEW);
    });

    it('names every node with its old and new IP', () => {
      const f = analyzeTopology(t).find((x) => x.code === 'node-new-address')!;
      expect(f.severity).toBe('critical');
      expect(f.summary).toMatch(
        /^6 nodes restarted at new IPs and cannot find each other\. Their ids and data are intact/,
      );
      expect(f.summary).toContain('aaaaaaaa was 10.0.3.1, is now 10.0.5.1');
      expect(findMovedNodes(t).map((m) => m.staleIn.length)).toEqual([5, 5, 5, 5, 5, 5]);
    });

    it('plans MEETs from every node and a replica-link check: no FORGET, RESET or failover', () => {
      const out = plan(t);
      if (!out.ok) throw new Error(out.reason);
      expect(out.plan.steps.map((s) => s.kind)).toEqual(['reintroduce', 'replica-links']);
      expect(out.plan.risk).toBe('low');
      const commands = out.plan.steps.flatMap((s) => s.commands);
      expect(commands.filter((c) => c.includes('CLUSTER MEET 10.0.5.1 6379'))).toHaveLength(5);
      expect(commands.join('\n')).not.toMatch(/FORGET|RESET|FLUSH|FAILOVER/);
    });
  });

  it('prefers the re-introduction where the stale entries are flagged failed (no forget, no failover)', () => {
    const t = scan(pods(NEW), (_o, n) => ({ addr: oldOf(n), flags: 'fail' }));
    expect(t.nodes.every((n) => n.health === 'fail' && n.reachable)).toBe(true);
    const out = plan(t);
    expect(out.ok && out.plan.steps.map((s) => s.kind)).toEqual(['reintroduce', 'replica-links']);
  });

  it('names only the pods that moved when the others hold stale entries for them', () => {
    const now = [...NEW.slice(0, 4).map((_, i) => OLD[i]!), NEW[4]!, NEW[5]!];
    const all = pods(now);
    const t = scan(all, (_o, n) =>
      n.now.startsWith('10.0.5') ? { addr: OLD[now.indexOf(n.now)]! } : { addr: n.now },
    );
    const moved = findMovedNodes(t);
    expect(moved.map((m) => [m.from, m.to])).toEqual([
      [OLD[4], NEW[4]],
      [OLD[5], NEW[5]],
    ]);
    const f = analyzeTopology(t).find((x) => x.code === 'node-new-address')!;
    expect(f.summary).toMatch(
      /^2 nodes restarted at new IPs that other nodes still list at the old addresses/,
    );
    expect(f.summary).toContain('(5 still list the old one)');
    // Known ids: no outsider to meet and replicate, nothing to forget.
    expect(t.outsiders).toEqual([]);
    const out = plan(t);
    expect(out.ok && out.plan.steps.map((s) => s.kind)).toEqual(['reintroduce', 'replica-links']);
    expect(out.ok && out.plan.steps[0]!.kind === 'reintroduce' && out.plan.steps[0]!.moves.length).toBe(2);
  });

  it('counts an old IP now taken by another pod as stale', () => {
    // Pod a came back at 10.0.3.9; pod b came back at a's old IP.
    const all = pods(OLD);
    all[0]!.now = '10.0.3.9:6379';
    all[1]!.now = OLD[0]!;
    const t = scan(all, (_o, n) => ({ addr: n === all[0] ? OLD[0]! : n === all[1] ? OLD[1]! : n.now }));
    expect(findMovedNodes(t).map((m) => `${m.id[0]} ${m.from} -> ${m.to}`)).toEqual([
      `a ${OLD[0]} -> 10.0.3.9:6379`,
      `b ${OLD[1]} -> ${OLD[0]}`,
    ]);
  });

  it('sees nothing in a healthy cluster, reached through a DNS name as well as its IP', () => {
    const all = pods(OLD);
    const alias: Probe = {
      ...scan(all, (_o, n) => ({ addr: n.now })).probes[0]!,
      addr: 'redis-0.redis:6379',
    };
    const t = scan(all, (_o, n) => ({ addr: n.now }), [alias]);
    expect(findMovedNodes(t)).toEqual([]);
    expect(analyzeTopology(t).some((f) => f.code === 'node-new-address')).toBe(false);
  });

  it('does not take an address we failed to probe, which its peers still talk to, for a move', () => {
    const all = pods(OLD);
    all[0]!.now = 'redis-0.redis:6379';
    const t = scan(all, (_o, n) => ({ addr: n === all[0] ? OLD[0]! : n.now, link: 'connected' }));
    expect(findMovedNodes(t)).toEqual([]);
  });

  it('ignores a handshake entry at another address (a MEET in flight)', () => {
    const all = pods(OLD);
    const t = scan(all, (_o, n) => ({ addr: n.now }));
    const o = t.probes.find((p) => p.addr === OLD[1])!;
    o.nodes!.push({
      ...o.nodes!.find((v) => v.id === all[0]!.id)!,
      addr: '10.0.9.9:6379',
      flags: ['handshake'],
    });
    expect(findMovedNodes(buildTopology('t', t.probes, { takenAt: 0 }))).toEqual([]);
  });

  it('uses the address where a node answers when its own line still carries the old IP', () => {
    const all = pods(NEW);
    const t = scan(all, (_o, n) => ({ addr: oldOf(n), flags: 'fail?' }));
    for (const p of t.probes) {
      const me = p.nodes?.find((v) => v.flags.includes('myself'));
      if (me) me.addr = OLD[NEW.indexOf(p.addr)]!;
    }
    const rebuilt = buildTopology('t', t.probes, { takenAt: 0 });
    expect(rebuilt.nodes.map((n) => n.addr).sort()).toEqual(NEW);
    expect(findMovedNodes(rebuilt)).toHaveLength(6);
  });

  it('refuses to reconnect a master that came back empty while its replica holds the keys', () => {
    const all = pods(NEW);
    all[0]!.keys = 0;
    const out = plan(scan(all, (_o, n) => ({ addr: oldOf(n), flags: 'fail?' })));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.code).toBe('EMPTY_MASTER_AT_NEW_ADDRESS');
      expect(out.reason).toMatch(
        /came back at 10\.0\.5\.1:6379 with 0 keys while its replica 10\.0\.5\.4:6379/,
      );
    }
  });
});
