import { describe, expect, it } from 'vitest';
import { stepHandler } from '../../../src/app/steps/index.ts';
import { planForAction } from '../../../src/core/plans/intent-plans.ts';
import type { Step, Topology } from '../../../src/core/types.ts';
import { addrOf, ctx, id, node, outsider, THIRDS, topology } from './topology-builder.ts';

const M1 = id('a');
const M2 = id('b');
const M3 = id('c');
const R1 = id('d');
const R2 = id('e');
const DEAD = id('7');
const NEW = id('9');

const check = (t: Topology, s: Step) => stepHandler(s.kind)!.check(t, s);
const base = () => [
  node({ id: M1, port: 7001, slots: THIRDS[0] }),
  node({ id: M2, port: 7002, slots: THIRDS[1] }),
  node({ id: M3, port: 7003, slots: THIRDS[2] }),
  node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
  node({ id: R2, port: 7005, role: 'replica', masterId: M2 }),
];

describe('step preconditions (checked on a fresh topology before every step)', () => {
  describe('forget', () => {
    const step: Step = { kind: 'forget', nodeId: DEAD, risk: 'low', sentence: '', commands: [] };
    it('is already done when no live node knows the id', () => {
      expect(check(topology(base()), step).state).toBe('done');
    });
    it('is ready when a dead node is still listed', () => {
      expect(
        check(
          topology([
            ...base(),
            node({ id: DEAD, port: 7009, role: 'replica', masterId: M3, health: 'fail' }),
          ]),
          step,
        ).state,
      ).toBe('ready');
    });
    it('is stale when the node answers again', () => {
      const c = check(
        topology([...base(), node({ id: DEAD, port: 7009, role: 'replica', masterId: M3 })]),
        step,
      );
      expect(c).toMatchObject({ state: 'stale', reason: expect.stringMatching(/answers again/) });
    });
    it('is stale when the node owns slots', () => {
      const nodes = base();
      nodes[2] = node({ id: DEAD, port: 7003, slots: THIRDS[2], health: 'fail' });
      expect(check(topology(nodes), step)).toMatchObject({
        state: 'stale',
        reason: expect.stringMatching(/owns slots/),
      });
    });
  });

  describe('failover', () => {
    const step: Step = {
      kind: 'failover',
      addr: addrOf(7004),
      replicaId: R1,
      masterId: M1,
      mode: 'force',
      whenMasterDown: true,
      risk: 'medium',
      sentence: '',
      commands: [],
    };
    it('is stale when the master it was planned for is back and healthy', () => {
      expect(check(topology(base()), step)).toMatchObject({
        state: 'stale',
        reason: expect.stringMatching(/is back/),
      });
    });
    it('is ready while the master is down', () => {
      const nodes = base();
      nodes[0] = node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail' });
      expect(check(topology(nodes), step).state).toBe('ready');
    });
    it('is already done when the replica serves the slots', () => {
      const nodes = base();
      nodes[0] = node({ id: M1, port: 7001, health: 'fail' });
      nodes[3] = node({ id: R1, port: 7004, slots: THIRDS[0] });
      expect(check(topology(nodes), step).state).toBe('done');
    });
    it('is stale when the replica now follows another master', () => {
      const nodes = base();
      nodes[0] = node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail' });
      nodes[3] = node({ id: R1, port: 7004, role: 'replica', masterId: M3 });
      expect(check(topology(nodes), step)).toMatchObject({
        state: 'stale',
        reason: expect.stringMatching(/now replicates/),
      });
    });
  });

  describe('replicate', () => {
    const step: Step = {
      kind: 'replicate',
      addr: addrOf(7010),
      masterId: M3,
      risk: 'low',
      sentence: '',
      commands: [],
    };
    it('is already done when the node follows that master with its link up', () => {
      const t = topology([...base(), node({ id: NEW, port: 7010, role: 'replica', masterId: M3 })]);
      expect(check(t, step).state).toBe('done');
    });
    it('is ready for an empty member master', () => {
      expect(check(topology([...base(), node({ id: NEW, port: 7010 })]), step).state).toBe('ready');
    });
    it('is stale when a hand fix made it the replica of another master', () => {
      const t = topology([...base(), node({ id: NEW, port: 7010, role: 'replica', masterId: M1 })]);
      expect(check(t, step)).toMatchObject({
        state: 'stale',
        reason: expect.stringMatching(/now replicates/),
      });
    });
    it('is ready for a planned move from the master it followed at plan time', () => {
      const t = topology([...base(), node({ id: NEW, port: 7010, role: 'replica', masterId: M1 })]);
      expect(check(t, { ...step, fromMasterId: M1 } as Step).state).toBe('ready');
    });
    it('is stale when the node is not a member', () => {
      expect(check(topology(base(), [outsider(7010, NEW)]), step).state).toBe('stale');
    });
  });

  describe('meet', () => {
    const step: Step = { kind: 'meet', addr: addrOf(7010), risk: 'low', sentence: '', commands: [] };
    it('is ready for a live node outside the cluster', () => {
      expect(check(topology(base(), [outsider(7010, NEW)]), step).state).toBe('ready');
    });
    it('is already done when every member knows it', () => {
      expect(check(topology([...base(), node({ id: NEW, port: 7010 })]), step).state).toBe('done');
    });
    it('is stale when nothing answers there any more', () => {
      expect(check(topology(base()), step).state).toBe('stale');
    });
  });

  describe('fix-slots assign', () => {
    const step: Step = {
      kind: 'fix-slots',
      action: 'assign',
      slots: THIRDS[1]!,
      addr: addrOf(7010),
      targetId: NEW,
      risk: 'data-loss',
      sentence: '',
      commands: [],
    };
    it('is stale when a live master serves those slots again', () => {
      const t = topology([...base(), node({ id: NEW, port: 7010 })]);
      expect(check(t, step)).toMatchObject({ state: 'stale', reason: expect.stringMatching(/served by/) });
    });
    it('is ready while their owner is down', () => {
      const nodes = base();
      nodes[1] = node({ id: M2, port: 7002, slots: THIRDS[1], health: 'fail' });
      expect(check(topology([...nodes, node({ id: NEW, port: 7010 })]), step).state).toBe('ready');
    });
  });
});

describe('more refusals', () => {
  it('refuses to forget a dead master that live replicas still follow', () => {
    const nodes = base();
    nodes[0] = node({ id: M1, port: 7001, health: 'fail' });
    const out = planForAction(topology(nodes), { kind: 'forget', node: M1 }, ctx);
    expect(out).toMatchObject({
      ok: false,
      code: 'PLAN_REFUSED',
      reason: expect.stringMatching(/cannot forget its own master/),
    });
  });

  it('refuses force when most masters are lost, and points to takeover', () => {
    const nodes = base();
    nodes[0] = node({ id: M1, port: 7001, slots: THIRDS[0], health: 'pfail' });
    nodes[1] = node({ id: M2, port: 7002, slots: THIRDS[1], health: 'pfail' });
    const out = planForAction(topology(nodes), { kind: 'failover', node: addrOf(7004), mode: 'force' }, ctx);
    expect(out).toMatchObject({ ok: false, code: 'PLAN_REFUSED', reason: expect.stringMatching(/takeover/) });
  });

  it('refuses to fail over onto a replica that does not answer', () => {
    const nodes = base();
    nodes[3] = node({ id: R1, port: 7004, role: 'replica', masterId: M1, health: 'fail' });
    const out = planForAction(topology(nodes), { kind: 'failover', node: R1, mode: 'default' }, ctx);
    expect(out).toMatchObject({
      ok: false,
      code: 'PLAN_REFUSED',
      reason: expect.stringMatching(/does not answer/),
    });
  });
});
