/**
 * Open slots and stray keys, decided like redis-cli --cluster fix: the finding names slot, nodes and counts;
 * the owner is the single claimant, else the one with the most keys; credentials are expanded only where a
 * command takes them; slots of binary keys are computed as Redis does.
 */
import { describe, expect, it } from 'vitest';
import { expandCredentials } from '../../../src/adapters/redis/node-commander.ts';
import { planForFindings } from '../../../src/core/plans/planner.ts';
import { decideSlot } from '../../../src/core/plans/slot-decision.ts';
import { Credential } from '../../../src/core/ports.ts';
import { analyzeTopology } from '../../../src/core/topology/analyze.ts';
import { keySlot } from '../../../src/core/topology/key-slot.ts';
import { suspectSlots } from '../../../src/core/topology/suspect-slots.ts';
import type { ClusterNode, Topology } from '../../../src/core/types.ts';
import { addrOf, ctx, id, node, THIRDS, topology } from './topology-builder.ts';

const [A, B, C] = [id('a'), id('b'), id('c')];
const S = 100; // in THIRDS[0], owned by A

function withCounts(nodes: ClusterNode[], counts: Record<string, number>, slot = S): Topology {
  const t = topology(nodes);
  t.slotKeys = [
    {
      slot,
      counts: nodes
        .filter((n) => n.role === 'master' && n.reachable)
        .map((n) => ({ id: n.id, addr: n.addr!, keys: counts[n.id] ?? 0 })),
    },
  ];
  return t;
}

const masters = (over: Partial<Record<string, Partial<Parameters<typeof node>[0]>>> = {}) => [
  node({ id: A, port: 7001, slots: THIRDS[0], ...over[A] }),
  node({ id: B, port: 7002, slots: THIRDS[1], ...over[B] }),
  node({ id: C, port: 7003, slots: THIRDS[2], ...over[C] }),
];

describe('keySlot', () => {
  it('computes the slot as Redis does, hash tags and raw bytes included', () => {
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot(Buffer.from([0x7b, 0xff, 0x7d, 0x01]))).toBe(keySlot(Buffer.from([0xff])));
  });
});

describe('suspectSlots', () => {
  it('counts open slots first, then slots seen on non-owners, then uncovered ones', () => {
    const nodes = masters({ [A]: { migrating: [{ slot: 7, nodeId: B }] } });
    nodes[2]!.slots = [{ start: 10923, end: 16380 }];
    expect(suspectSlots(topology(nodes), [42]).slots).toEqual([7, 42, 16381, 16382, 16383]);
  });
});

describe('stray keys', () => {
  it('are a critical finding naming the slot, the node and both counts', () => {
    const t = withCounts(masters(), { [A]: 60, [B]: 40 });
    const f = analyzeTopology(t).find((x) => x.code === 'keys-in-unowned-slot');
    expect(f?.severity).toBe('critical');
    expect(f?.summary).toBe(
      `slot ${S}: 40 keys on ${addrOf(7002)} (bbbbbbbb), which does not own it; its owner ${addrOf(7001)} (aaaaaaaa) holds 60. Clients cannot read those keys`,
    );
  });

  it('are planned back to the owner when it has the most keys, saying why', () => {
    const t = withCounts(masters({ [A]: { migrating: [{ slot: S, nodeId: id('d') }] } }), {
      [A]: 60,
      [B]: 40,
    });
    const out = planForFindings(t, analyzeTopology(t), ctx);
    if (!out.ok) throw new Error(out.reason);
    expect(out.plan.steps).toHaveLength(1);
    expect(out.plan.steps[0]).toMatchObject({ kind: 'fix-slots', action: 'stable', targetId: A });
    expect(out.plan.steps[0]!.sentence).toMatch(
      /no single clear owner of slot 100 .*has the most keys and keeps it/,
    );
    expect(out.plan.title).toMatch(/40 keys to move to 10\.0\.0\.1:7001/);
  });
});

describe('a disagreement about slot owners', () => {
  it('does not hold the plan back when it only concerns open slots (an importing node ignores UPDATEs)', () => {
    const t = withCounts(masters({ [B]: { importing: [{ slot: S, nodeId: id('d') }] } }), {
      [A]: 70,
      [B]: 30,
    });
    const views = [{ observer: addrOf(7002), says: 'dddddddd' }];
    t.disagreements = [
      { subject: `owner of slots ${S}`, kind: 'slots', slots: [{ start: S, end: S }], views },
    ];
    expect(planForFindings(t, [], ctx)).toMatchObject({ ok: true });
    t.disagreements[0]!.slots = [{ start: S, end: S + 1 }];
    expect(planForFindings(t, [], ctx)).toMatchObject({ ok: false, code: 'CLUSTER_SETTLING' });
  });
});

describe('decideSlot', () => {
  it('keeps the slot on its single claimant', () => {
    const d = decideSlot(
      withCounts(masters({ [A]: { migrating: [{ slot: S, nodeId: B }] } }), { [A]: 5 }),
      S,
    );
    expect(d).toMatchObject({ ok: true, owner: { id: A, keys: 5 }, holders: [] });
    expect(d.ok && d.current).toBeFalsy();
  });

  it('finishes a migration open on both sides when only the source holds keys (case 1)', () => {
    const nodes = masters({
      [A]: { migrating: [{ slot: S, nodeId: B }] },
      [B]: { importing: [{ slot: S, nodeId: A }] },
    });
    const d = decideSlot(withCounts(nodes, { [A]: 5 }), S);
    expect(d).toMatchObject({ ok: true, owner: { id: B }, current: { id: A, keys: 5 } });
  });

  it('gives the slot to the node with the most keys and moves every other holder there', () => {
    const d = decideSlot(withCounts(masters(), { [A]: 10, [B]: 15, [C]: 25 }), S);
    expect(d).toMatchObject({
      ok: true,
      owner: { id: C, keys: 25 },
      current: { id: A },
      holders: [{ id: B }],
    });
  });

  it('has the holder with the most keys claim a slot nobody owns', () => {
    const nodes = masters();
    nodes[0]!.slots = [{ start: 101, end: 5460 }];
    const d = decideSlot(withCounts(nodes, { [A]: 3, [B]: 7 }), S);
    expect(d).toMatchObject({ ok: true, owner: { id: B }, claims: true, holders: [{ id: A, keys: 3 }] });
    expect(d.ok && d.current).toBeFalsy();
  });

  it('gives a slot nobody serves and without keys to the master that had it open, and leaves one a failed master serves', () => {
    const nodes = masters({ [B]: { importing: [{ slot: S, nodeId: A }] } });
    nodes[0]!.slots = [{ start: 101, end: 5460 }];
    expect(decideSlot(withCounts(nodes, {}), S)).toMatchObject({
      ok: true,
      owner: { id: B },
      claims: true,
      holders: [],
    });
    const failed = masters({ [A]: { health: 'fail' }, [B]: { importing: [{ slot: S, nodeId: A }] } });
    expect(decideSlot(withCounts(failed, {}), S)).toMatchObject({ ok: false });
  });

  it('refuses while a master does not answer and is not flagged failed (it may hold keys)', () => {
    const nodes = [...masters(), node({ id: id('d'), port: 7004, health: 'pfail' })];
    const d = decideSlot(withCounts(nodes, { [B]: 4 }), S);
    expect(d).toMatchObject({ ok: false });
    expect(d.reason).toMatch(/does not answer but is not flagged failed/);
  });

  it('refuses when a master could not count the keys', () => {
    const t = withCounts(masters(), { [B]: 4 });
    t.slotKeys![0]!.unknown = [addrOf(7003)];
    expect(decideSlot(t, S)).toMatchObject({ ok: false });
  });
});

describe('expandCredentials', () => {
  const PW = 'unit-Secret-77';
  it('expands stand-ins only among MIGRATE options, never in key names', () => {
    const key = Credential.migrateAuth;
    const bin = Buffer.from([0xff, 0x00]);
    const args = ['MIGRATE', 'h', 1, '', 0, 5000, 'REPLACE', Credential.migrateAuth, 'KEYS', key, bin];
    expect(expandCredentials(args, { password: PW })).toEqual([
      ...['MIGRATE', 'h', '1', '', '0', '5000', 'REPLACE', 'AUTH', PW, 'KEYS', key],
      bin,
    ]);
    expect(
      expandCredentials(['MIGRATE', 'h', 1, Credential.password, 0, 5000], { password: PW }),
    ).not.toContain(PW);
    expect(expandCredentials(['SET', Credential.password, Credential.username], { password: PW })).toEqual([
      'SET',
      Credential.password,
      Credential.username,
    ]);
    expect(
      expandCredentials(['CONFIG', 'SET', 'maxmemory', Credential.password], { password: PW }),
    ).not.toContain(PW);
  });
});
