import { describe, expect, it } from 'vitest';
import { failoverStep } from '../../../src/core/plans/plan.ts';
import { planForFindings } from '../../../src/core/plans/planner.ts';
import {
  countKey,
  formatKeysAtRisk,
  keyCountRequests,
  keysAtRiskRose,
  sumKeysAtRisk,
  withKeysAtRisk,
  writesFromBytes,
} from '../../../src/core/risk/index.ts';
import type { Plan } from '../../../src/core/types.ts';
import { addrOf, ctx, node, SIX, THIRDS, topology } from '../plans/topology-builder.ts';

const { M1, M2, M3, R1, R2, R3 } = SIX;

/** M2 and its replica R2 are dead for good; M1 and M3 hold keys. */
function shardLost() {
  return topology([
    node({ id: M1, port: 7001, slots: THIRDS[0], keys: 120 }),
    node({ id: M2, port: 7002, slots: THIRDS[1], health: 'fail' }),
    node({ id: M3, port: 7003, slots: THIRDS[2], keys: 90 }),
    node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
    node({ id: R2, port: 7005, role: 'replica', masterId: M2, health: 'fail' }),
    node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
  ]);
}

function planOf(out: ReturnType<typeof planForFindings>): Plan {
  if (!out.ok) throw new Error(`${out.code}: ${out.reason}`);
  return out.plan;
}

describe('keys at risk, in words', () => {
  it('says 0 keys at risk when nothing can be dropped', () => {
    expect(formatKeysAtRisk({ keys: 0 })).toBe('0 keys at risk');
    expect(formatKeysAtRisk({ writes: 0, lagBytes: 0 })).toBe('0 keys at risk');
    expect(formatKeysAtRisk(sumKeysAtRisk([]))).toBe('0 keys at risk');
  });

  it('names the count and the slots of keys that would be dropped, with thousands separated', () => {
    expect(formatKeysAtRisk({ keys: 41000, slots: [{ start: 5461, end: 10922 }] })).toBe(
      '41,000 keys in slots 5461-10922 would be dropped',
    );
    expect(formatKeysAtRisk({ keys: 1, slots: [{ start: 7, end: 7 }] })).toBe(
      '1 key in slots 7 would be dropped',
    );
  });

  it('says unknown, and why, where nobody can count them', () => {
    const t = formatKeysAtRisk({
      keys: null,
      slots: [{ start: 5461, end: 10922 }],
      unknownWhy: ['10.0.0.1:7002 held them and is down'],
    });
    expect(t).toBe(
      'keys in slots 5461-10922: unknown — nobody can count them (10.0.0.1:7002 held them and is down)',
    );
  });

  it('turns replication bytes into ≈ writes and shows the bytes', () => {
    expect(writesFromBytes(0)).toBe(0);
    expect(writesFromBytes(3)).toBe(1);
    expect(writesFromBytes(50_000)).toBe(1000);
    expect(formatKeysAtRisk({ writes: 1000, lagBytes: 50_000 })).toBe(
      '≈1,000 writes not yet on the promoted replica would be lost (48.8 KB of replication behind)',
    );
    expect(formatKeysAtRisk({ writes: null, unknownWhy: ['master x is down'] })).toContain(
      'writes not yet on the promoted replica: unknown — nobody can count them (master x is down)',
    );
  });

  it('adds steps up: an unknown makes the sum unknown, and slots are merged', () => {
    const sum = sumKeysAtRisk([
      { keys: 10, slots: [{ start: 0, end: 9 }] },
      { keys: 5, slots: [{ start: 10, end: 20 }] },
      { writes: 3, lagBytes: 150 },
    ]);
    expect(sum).toEqual({ keys: 15, slots: [{ start: 0, end: 20 }], writes: 3, lagBytes: 150 });
    expect(sumKeysAtRisk([{ keys: 10 }, { keys: null, unknownWhy: ['x'] }])).toMatchObject({
      keys: null,
      unknownWhy: ['x'],
    });
  });
});

describe('did the keys at risk go up since approval', () => {
  it('stops on more keys, not on the same or fewer', () => {
    const slots = [{ start: 1, end: 2 }];
    expect(keysAtRiskRose({ keys: 10, slots }, { keys: 10, slots })).toBeUndefined();
    expect(keysAtRiskRose({ keys: 10, slots }, { keys: 3, slots })).toBeUndefined();
    expect(keysAtRiskRose({ keys: 10, slots }, { keys: 11, slots })).toBe(
      'keys in slots 1-2 that would be dropped went up from 10 to 11',
    );
  });

  it('stops when a count that was known can no longer be made', () => {
    expect(keysAtRiskRose({ keys: 0 }, { keys: null, unknownWhy: ['x timed out'] })).toMatch(
      /can no longer be counted \(x timed out\)/,
    );
  });

  it('does not stop on an unknown that stays unknown', () => {
    expect(keysAtRiskRose({ keys: null }, { keys: null })).toBeUndefined();
  });

  it('lets ≈ writes move within their noise, and stops beyond it', () => {
    expect(keysAtRiskRose({ writes: 100 }, { writes: 200 })).toBeUndefined();
    expect(keysAtRiskRose({ writes: 100 }, { writes: 400 })).toMatch(/from ≈100 to ≈400/);
    expect(keysAtRiskRose({ writes: 0 }, { writes: null })).toMatch(/can no longer be counted/);
  });
});

describe('the estimate of each step', () => {
  it('counts the keys of a lost shard as unknown: nobody alive holds them', () => {
    const t = shardLost();
    const plan = planOf(planForFindings(t, [], { ...ctx, acceptDataLoss: true }));
    // The slots go to M1 (keys there stay); M3 holds keys and is asked about stray ones; the dead owner cannot be.
    expect(keyCountRequests(plan, t).map((r) => r.addr)).toEqual([addrOf(7003)]);
    const counts = new Map(keyCountRequests(plan, t).map((r) => [countKey(r), 0]));
    const assessed = withKeysAtRisk(plan, t, counts);
    const assign = assessed.steps.find((s) => s.kind === 'fix-slots')!;
    expect(assign.keysAtRisk).toMatchObject({ keys: null, slots: THIRDS[1] });
    expect(formatKeysAtRisk(assessed.keysAtRisk!)).toMatch(
      /^keys in slots 5461-10922: unknown — nobody can count them \(10\.0\.0\.1:7002 \(bbbbbbbb\) held them and is down/,
    );
  });

  it('counts the keys of uncovered slots on the live masters that hold them', () => {
    const t = topology([
      node({ id: M1, port: 7001, slots: THIRDS[0], keys: 0 }),
      node({ id: M3, port: 7003, slots: THIRDS[2], keys: 50 }),
      node({ id: R3, port: 7006, slots: [], keys: 0 }),
    ]);
    const plan = planOf(planForFindings(t, [], ctx));
    const reqs = keyCountRequests(plan, t);
    // The slots go to M1; the empty master 7006 is known to hold nothing: only M3 is asked.
    expect(reqs).toEqual([{ addr: addrOf(7003), slots: THIRDS[1] }]);
    const assessed = withKeysAtRisk(plan, t, new Map([[countKey(reqs[0]!), 7]]));
    expect(assessed.keysAtRisk).toMatchObject({ keys: 7, slots: THIRDS[1] });
    expect(withKeysAtRisk(plan, t, new Map([[countKey(reqs[0]!), null]])).keysAtRisk?.keys).toBeNull();
  });

  it('estimates a forced failover from the master offset minus the replica offset', () => {
    const master = node({ id: M1, port: 7001, slots: THIRDS[0], offset: 150_000 });
    const replica = node({ id: R1, port: 7004, role: 'replica', masterId: M1, offset: 100_000 });
    master.replication!.replicas = [{ ip: '10.0.0.1', port: 7004, state: 'online', offset: 100_000, lag: 0 }];
    const t = topology([master, replica]);
    const plan: Plan = { ...planStub(), steps: [failoverStep(replica, master, M1, 'force')] };
    const assessed = withKeysAtRisk(plan, t, new Map());
    expect(assessed.steps[0]!.keysAtRisk).toEqual({ writes: 1000, lagBytes: 50_000 });
  });

  it('says a forced failover of a dead master loses an unknown number of writes', () => {
    const master = node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail' });
    const replica = node({ id: R1, port: 7004, role: 'replica', masterId: M1, offset: 4242 });
    const t = topology([master, replica]);
    const plan: Plan = { ...planStub(), steps: [failoverStep(replica, master, M1, 'force', true)] };
    const k = withKeysAtRisk(plan, t, new Map()).steps[0]!.keysAtRisk!;
    expect(k.writes).toBeNull();
    expect(formatKeysAtRisk(k)).toContain("the replica's last offset is 4242");
  });

  it('gives a planned handover 0 writes at risk', () => {
    const master = node({ id: M1, port: 7001, slots: THIRDS[0], offset: 9 });
    const replica = node({ id: R1, port: 7004, role: 'replica', masterId: M1, offset: 1 });
    const plan: Plan = { ...planStub(), steps: [failoverStep(replica, master, M1, 'default')] };
    expect(withKeysAtRisk(plan, topology([master, replica]), new Map()).keysAtRisk).toEqual({
      keys: 0,
      writes: 0,
    });
  });
});

function planStub(): Plan {
  return {
    id: 'p-test',
    cluster: 'test',
    title: 't',
    fingerprint: 'fp',
    requestedBy: 'U1',
    createdAt: 1,
    expiresAt: 2,
    risk: 'medium',
    steps: [],
    approvalsNeeded: 1,
    findings: [],
  };
}
