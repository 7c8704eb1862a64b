import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../../src/core/intents/parse-intent.ts';
import { planForFindings } from '../../../src/core/plans/planner.ts';
import { addrOf, ctx, id, node, THIRDS, topology } from './topology-builder.ts';

const M1 = id('a');
const M2 = id('b');
const M3 = id('c');
const R1 = id('d');
const R2 = id('e');
const R3 = id('f');
const SPARE = id('9');

/** M2 and its only replica R2 are gone for good. */
function shardLost(extra: ReturnType<typeof node>[] = []) {
  return topology([
    node({ id: M1, port: 7001, slots: THIRDS[0] }),
    node({ id: M2, port: 7002, slots: THIRDS[1], health: 'fail' }),
    node({ id: M3, port: 7003, slots: THIRDS[2] }),
    node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
    node({ id: R2, port: 7005, role: 'replica', masterId: M2, health: 'fail' }),
    node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
    ...extra,
  ]);
}

describe('planner, when a master and all its replicas are gone for good', () => {
  it('by default proposes nothing: bring it back first, and names the command for the way forward', () => {
    const out = planForFindings(shardLost(), [], ctx);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reason).toContain(`${addrOf(7002)} (bbbbbbbb) serves slots 5461-10922 and its replica(s)`);
    expect(out.reason).toContain('bring it back with its data');
    expect(out.reason).toContain('`/redis diagnose --accept-data-loss` proposes a separate plan');
    expect(out.reason).not.toContain('/redis forget');
    // The chat answer carries the second button for it.
    expect(out.offersDataLoss).toBe(true);
  });

  it('with acceptDataLoss forgets the dead replica, gives the slots to a live master with the fewest, then forgets the dead master', () => {
    const out = planForFindings(shardLost(), [], { ...ctx, acceptDataLoss: true });
    if (!out.ok) throw new Error(out.reason);
    const p = out.plan;
    expect(p.title).toContain(`Give the slots of ${addrOf(7002)}`);
    expect(p.steps.map((s) => s.kind)).toEqual(['forget', 'fix-slots', 'forget']);
    expect(p.steps[0]).toMatchObject({ kind: 'forget', nodeId: R2 });
    // 7001 and 7003 serve as many slots: the lower address takes them.
    expect(p.steps[1]).toMatchObject({ action: 'assign', targetId: M1, slots: THIRDS[1], risk: 'data-loss' });
    expect(p.steps[1]!.sentence).toContain('the keys they held are lost');
    expect(p.steps[2]).toMatchObject({ kind: 'forget', nodeId: M2 });
    expect(p.risk).toBe('data-loss');
    expect(p.approvalsNeeded).toBe(2);
    expect(p.title).toContain('(data loss)');
  });

  it('with acceptDataLoss prefers an empty master already in the cluster (a spare) to a serving one', () => {
    const out = planForFindings(shardLost([node({ id: SPARE, port: 7009 })]), [], {
      ...ctx,
      acceptDataLoss: true,
    });
    if (!out.ok) throw new Error(out.reason);
    const assign = out.plan.steps.find((s) => s.kind === 'fix-slots');
    expect(assign).toMatchObject({ targetId: SPARE, addr: addrOf(7009) });
    // The spare now serves slots: it is not also made a replica.
    expect(out.plan.steps.some((s) => s.kind === 'replicate' && s.addr === addrOf(7009))).toBe(false);
  });

  it('leaves alone a dead master whose replica still answers (that is a failover, not data loss)', () => {
    const t = shardLost();
    t.nodes[4] = node({ id: R2, port: 7005, role: 'replica', masterId: M2 });
    const out = planForFindings(t, [], { ...ctx, acceptDataLoss: true });
    if (!out.ok) throw new Error(out.reason);
    expect(out.plan.steps.map((s) => (s.kind === 'failover' ? `failover:${s.mode}` : s.kind))).toEqual([
      'failover:force',
    ]);
  });
});

describe('/redis diagnose --accept-data-loss', () => {
  it('parses, with or without a cluster name', () => {
    expect(parseIntent('diagnose --accept-data-loss')).toEqual({
      ok: true,
      intent: { kind: 'diagnose', acceptDataLoss: true },
    });
    expect(parseIntent('diagnose prod --accept-data-loss')).toEqual({
      ok: true,
      intent: { kind: 'diagnose', cluster: 'prod', acceptDataLoss: true },
    });
    expect(parseIntent('diagnose')).toEqual({ ok: true, intent: { kind: 'diagnose' } });
  });

  it('is refused on other sub-commands, and a typo gets a suggestion', () => {
    const s = parseIntent('status --accept-data-loss');
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error).toContain('unknown option "--accept-data-loss"');
    const d = parseIntent('diagnose --accept-dataloss');
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.suggestion).toBe('--accept-data-loss');
  });
});
