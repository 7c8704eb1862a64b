import { describe, expect, it } from 'vitest';
import { chooseMaster } from '../../../src/core/plans/choose-master.ts';
import { planForFindings } from '../../../src/core/plans/planner.ts';
import type { Plan, Step } from '../../../src/core/types.ts';
import { addrOf, ctx, id, node, outsider, THIRDS, topology } from './topology-builder.ts';

const M1 = id('a');
const M2 = id('b');
const M3 = id('c');
const R1 = id('d');
const R2 = id('e');
const R3 = id('f');
const NEW = id('9');
const NEW2 = id('8');

function plan(t: ReturnType<typeof topology>): Plan {
  const out = planForFindings(t, [], ctx);
  if (!out.ok) throw new Error(`expected a plan, got ${out.code}: ${out.reason}`);
  return out.plan;
}

const kinds = (p: Plan) => p.steps.map((s) => (s.kind === 'failover' ? `failover:${s.mode}` : s.kind));

function healthy() {
  return [
    node({ id: M1, port: 7001, slots: THIRDS[0] }),
    node({ id: M2, port: 7002, slots: THIRDS[1] }),
    node({ id: M3, port: 7003, slots: THIRDS[2] }),
    node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
    node({ id: R2, port: 7005, role: 'replica', masterId: M2 }),
    node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
  ];
}

describe('planner', () => {
  it('has nothing to do on a healthy cluster, and says so', () => {
    const out = planForFindings(topology(healthy()), [], ctx);
    expect(out).toEqual({
      ok: false,
      code: 'NOTHING_TO_DO',
      reason: 'The cluster is healthy: nothing to do.',
    });
  });

  describe('while gossip has not settled after a failover', () => {
    it('waits instead of planning from half the story', () => {
      // R1 promoted itself over the dead M1, but a live node still says M1 owns the slots.
      const nodes = [
        node({
          id: M1,
          port: 7001,
          health: 'fail',
          flags: ['master', 'fail'],
          reachable: false,
          slots: THIRDS[0],
        }),
        node({ id: M2, port: 7002, slots: THIRDS[1] }),
        node({ id: M3, port: 7003, slots: THIRDS[2] }),
        node({ id: R1, port: 7004, slots: THIRDS[0] }),
        node({ id: R2, port: 7005, role: 'replica', masterId: M2 }),
        node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
      ];
      const t = topology(nodes, [outsider(7009, NEW)]);
      t.disagreements = [
        {
          subject: 'owner of slots 0-5460',
          kind: 'slots',
          views: [
            { observer: addrOf(7002), says: M1.slice(0, 8) },
            { observer: addrOf(7004), says: R1.slice(0, 8) },
          ],
        },
      ];
      const out = planForFindings(t, [], ctx);
      expect(out.ok).toBe(false);
      if (out.ok) return;
      expect(out.code).toBe('CLUSTER_SETTLING');
      expect(out.reason).toContain('owner of slots 0-5460');
      expect(out.reason).toContain('diagnose again');
    });
  });

  describe('while one node has not yet heard that a new node became a replica', () => {
    it('still plans: a slot-less replica that one node calls master puts no served slot at risk', () => {
      const nodes = [
        node({ id: M1, port: 7001, slots: THIRDS[0] }),
        node({ id: M2, port: 7002, slots: THIRDS[1] }),
        node({ id: M3, port: 7003, slots: THIRDS[2] }),
        node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
      ];
      const t = topology(nodes, [outsider(7009, NEW)]);
      t.disagreements = [
        {
          subject: `role of ${addrOf(7004)}`,
          kind: 'role',
          nodeId: R1,
          views: [
            { observer: addrOf(7002), says: 'master' },
            { observer: addrOf(7004), says: `replica of ${M1.slice(0, 8)}` },
          ],
        },
      ];
      const out = planForFindings(t, [], ctx);
      expect(out.ok, out.ok ? '' : out.reason).toBe(true);
    });
  });

  describe('when a restarted pod sits alone (write-ups 000, 004)', () => {
    // M1 died; R1 took over its slots and has no replica; the pod came back at M1's address with a new id.
    const nodes = [
      node({ id: M1, port: 7001, health: 'noaddr', flags: ['master', 'fail', 'noaddr'] }),
      node({ id: M2, port: 7002, slots: THIRDS[1] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      node({ id: R1, port: 7004, slots: THIRDS[0] }),
      node({ id: R2, port: 7005, role: 'replica', masterId: M2 }),
      node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
    ];
    const p = plan(topology(nodes, [outsider(7001, NEW)]));

    it('forgets the dead id everywhere, meets the new node, and makes it the replica of the orphaned master', () => {
      expect(kinds(p)).toEqual(['forget', 'meet', 'replicate']);
      const [forget, meet, replicate] = p.steps as [Step, Step, Step];
      expect(forget).toMatchObject({ kind: 'forget', nodeId: M1 });
      expect(forget.commands).toEqual(
        [7002, 7003, 7004, 7005, 7006].map((port) => `${addrOf(port)} CLUSTER FORGET ${M1}`),
      );
      expect(meet).toMatchObject({ kind: 'meet', addr: addrOf(7001) });
      expect(meet.commands).toContain(`${addrOf(7002)} CLUSTER MEET 10.0.0.1 7001`);
      expect(replicate).toMatchObject({ kind: 'replicate', addr: addrOf(7001), masterId: R1 });
      expect(replicate.commands).toEqual([`${addrOf(7001)} CLUSTER REPLICATE ${R1}`]);
    });

    it('is a low-risk plan one approver can pass, with a BullMQ-safe id, the fingerprint and an expiry', () => {
      expect(p.risk).toBe('low');
      expect(p.approvalsNeeded).toBe(1);
      expect(p.id).toMatch(/^p-[0-9a-z]{10}$/);
      expect(p.fingerprint).toBe('fp-1');
      expect(p.requestedBy).toBe('U1');
      expect(p.expiresAt).toBe(ctx.now + ctx.ttlMs);
      expect(p.steps.every((s) => s.sentence.length > 0 && s.commands.length > 0)).toBe(true);
    });
  });

  describe('when a failed master has a replica that did not take over (stuck replica)', () => {
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail', flags: ['master', 'fail'] }),
      node({ id: M2, port: 7002, slots: THIRDS[1] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      node({
        id: R1,
        port: 7004,
        role: 'replica',
        masterId: M1,
        offset: 100,
        flags: ['slave', 'nofailover'],
      }),
      node({ id: R3, port: 7007, role: 'replica', masterId: M1, offset: 900 }),
      node({ id: R2, port: 7005, role: 'replica', masterId: M2 }),
    ];
    const p = plan(topology(nodes));

    it('forces a failover on the replica with the highest replication offset', () => {
      expect(kinds(p)).toEqual(['failover:force']);
      expect(p.steps[0]).toMatchObject({
        replicaId: R3,
        masterId: M1,
        addr: addrOf(7007),
        whenMasterDown: true,
      });
      expect(p.steps[0]!.commands).toEqual([`${addrOf(7007)} CLUSTER FAILOVER FORCE`]);
      expect(p.approvalsNeeded).toBe(1);
      expect(p.risk).toBe('medium');
    });

    it('does not forget a dead master that may restart with its nodes.conf', () => {
      expect(p.steps.some((s) => s.kind === 'forget')).toBe(false);
    });
  });

  describe('when most masters are lost and spare nodes wait (write-up 001)', () => {
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0], health: 'pfail', flags: ['master', 'fail?'] }),
      node({ id: M2, port: 7002, slots: THIRDS[1], health: 'pfail', flags: ['master', 'fail?'] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      node({ id: R1, port: 7004, role: 'replica', masterId: M1, linkUp: false, offset: 500 }),
      node({ id: R2, port: 7005, role: 'replica', masterId: M2, linkUp: false, offset: 500 }),
      node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
    ];
    const p = plan(topology(nodes, [outsider(7010, NEW), outsider(7011, NEW2)]));

    it('takes over on the surviving replicas, forgets the dead, and brings the spares in as their replicas', () => {
      expect(kinds(p)).toEqual([
        'failover:takeover',
        'failover:takeover',
        'forget',
        'forget',
        'meet',
        'meet',
        'replicate',
        'replicate',
      ]);
      const replicas = p.steps
        .filter((s) => s.kind === 'replicate')
        .map((s) => (s as { masterId: string }).masterId);
      expect(replicas.sort()).toEqual([R1, R2].sort());
      expect(p.steps[0]!.commands[0]).toMatch(/CLUSTER FAILOVER TAKEOVER$/);
    });

    it('needs two approvers and is high risk', () => {
      expect(p.approvalsNeeded).toBe(2);
      expect(p.risk).toBe('high');
    });
  });

  describe('when a master without replica was lost and came back empty', () => {
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0] }),
      node({ id: M2, port: 7002, slots: THIRDS[1], health: 'noaddr', flags: ['master', 'fail', 'noaddr'] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
    ];
    const p = plan(topology(nodes, [outsider(7002, NEW)]));

    it('gives its uncovered slots to the new node, marked as data loss, then forgets the old id', () => {
      expect(kinds(p)).toEqual(['meet', 'fix-slots', 'forget']);
      expect(p.steps[1]).toMatchObject({
        action: 'assign',
        targetId: NEW,
        slots: THIRDS[1],
        risk: 'data-loss',
      });
      expect(p.steps[1]!.commands).toEqual([
        `${addrOf(7002)} CLUSTER BUMPEPOCH`,
        `${addrOf(7002)} CLUSTER ADDSLOTSRANGE 5461 10922`,
      ]);
      expect(p.risk).toBe('data-loss');
      expect(p.approvalsNeeded).toBe(2);
    });
  });

  describe('when a master without replica is down and nothing can replace it', () => {
    it('has nothing to do and says to bring it back', () => {
      const nodes = [
        node({ id: M1, port: 7001, slots: THIRDS[0] }),
        node({ id: M2, port: 7002, slots: THIRDS[1], health: 'fail' }),
        node({ id: M3, port: 7003, slots: THIRDS[2] }),
      ];
      const out = planForFindings(topology(nodes), [], ctx);
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.code).toBe('NOTHING_TO_DO');
        expect(out.reason).toMatch(/no replica: bring it back/);
      }
    });
  });

  describe('when a master is only suspected (fail?) while the majority lives', () => {
    it('waits for Redis instead of acting', () => {
      const nodes = healthy();
      nodes[0] = node({ id: M1, port: 7001, slots: THIRDS[0], health: 'pfail' });
      const out = planForFindings(topology(nodes), [], ctx);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.reason).toMatch(/diagnose again/);
    });
  });

  describe('when a slot is left open by an interrupted migration', () => {
    it('makes it stable, with two approvers', () => {
      const nodes = healthy();
      nodes[0] = node({ id: M1, port: 7001, slots: THIRDS[0], migrating: [{ slot: 100, nodeId: M2 }] });
      nodes[1] = node({ id: M2, port: 7002, slots: THIRDS[1], importing: [{ slot: 100, nodeId: M1 }] });
      const p = plan(topology(nodes));
      expect(kinds(p)).toEqual(['fix-slots']);
      expect(p.steps[0]).toMatchObject({ action: 'stable', targetId: M1, slots: [{ start: 100, end: 100 }] });
      expect(p.steps[0]!.commands).toContain(`${addrOf(7001)} CLUSTER SETSLOT 100 STABLE`);
      expect(p.steps[0]!.commands).toContain(`${addrOf(7002)} CLUSTER SETSLOT 100 STABLE`);
      expect(p.approvalsNeeded).toBe(2);
    });
  });

  describe('when slots have no owner at all', () => {
    it('assigns them in one range to the live master with the fewest slots (data loss)', () => {
      const nodes = [
        node({ id: M1, port: 7001, slots: [{ start: 0, end: 8000 }] }),
        node({ id: M2, port: 7002, slots: [{ start: 8001, end: 12000 }] }),
      ];
      const p = plan(topology(nodes));
      expect(p.steps).toHaveLength(1);
      expect(p.steps[0]).toMatchObject({ kind: 'fix-slots', action: 'assign', targetId: M2 });
      expect(p.steps[0]!.commands[1]).toBe(`${addrOf(7002)} CLUSTER ADDSLOTSRANGE 12001 16383`);
      expect(p.risk).toBe('data-loss');
    });
  });

  describe('when a new node joins a healthy cluster', () => {
    it('makes it the replica of the master with the fewest replicas, away from its Kubernetes node', () => {
      const nodes = [
        node({ id: M1, port: 7001, slots: THIRDS[0], k8sNode: 'k1' }),
        node({ id: M2, port: 7002, slots: THIRDS[1], k8sNode: 'k2' }),
        node({ id: M3, port: 7003, slots: THIRDS[2], k8sNode: 'k3' }),
        node({ id: R1, port: 7004, role: 'replica', masterId: M1, k8sNode: 'k2' }),
      ];
      const p = plan(topology(nodes, [outsider(7010, NEW, { k8sNode: 'k2' })]));
      expect(kinds(p)).toEqual(['meet', 'replicate']);
      // M2 and M3 have no replica; M2 shares k2 with the new pod: M3.
      expect(p.steps[1]).toMatchObject({ masterId: M3 });
    });

    it('leaves an outsider holding keys alone, and says why', () => {
      const out = planForFindings(topology(healthy(), [outsider(7010, NEW, { keys: 5 })]), [], ctx);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.reason).toMatch(/holds 5 keys/);
    });
  });
});

describe('chooseMaster', () => {
  const m = (id: string, replicas: number, k8sNode: string | null) => ({
    id,
    addr: `a-${id}`,
    replicas,
    k8sNode,
  });

  it('prefers an orphaned master', () => {
    expect(chooseMaster([m('x', 1, null), m('y', 0, null)], null)?.id).toBe('y');
  });
  it('then the master with the fewest replicas', () => {
    expect(chooseMaster([m('x', 2, null), m('y', 1, null), m('z', 3, null)], null)?.id).toBe('y');
  });
  it('never a master on the same Kubernetes node when another choice exists', () => {
    const choice = chooseMaster([m('x', 0, 'k1'), m('y', 2, 'k2')], 'k1');
    expect(choice?.id).toBe('y');
    expect(choice?.reason).toMatch(/not on Kubernetes node k1/);
  });
  it('the same Kubernetes node when there is no other choice', () => {
    expect(chooseMaster([m('x', 0, 'k1')], 'k1')?.id).toBe('x');
  });
  it('nothing when no master serves slots', () => {
    expect(chooseMaster([], null)).toBeUndefined();
  });
});

describe('planner, more cases', () => {
  it('marks a forced failover onto a replica that never synced as data loss', () => {
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail' }),
      node({ id: M2, port: 7002, slots: THIRDS[1] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      node({ id: R1, port: 7004, role: 'replica', masterId: M1, offset: 0, linkUp: false }),
    ];
    const p = plan(topology(nodes));
    expect(p.steps[0]).toMatchObject({ kind: 'failover', mode: 'force', risk: 'data-loss' });
    expect(p.steps[0]!.sentence).toMatch(/never finished a sync/);
  });

  it('does not call an idle replica that synced at offset 0 a data loss (an empty cluster is not a failed sync)', () => {
    const replica = node({ id: R1, port: 7004, role: 'replica', masterId: M1, offset: 0, linkUp: false });
    // Redis prints -1 here only when the link was never up; a real number means it synced, then lost its master.
    replica.replication!.masterLinkDownSinceSeconds = 4;
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0], health: 'fail' }),
      node({ id: M2, port: 7002, slots: THIRDS[1] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      replica,
    ];
    const p = plan(topology(nodes));
    expect(p.steps[0]).toMatchObject({ kind: 'failover', mode: 'force' });
    expect(p.steps[0]!.risk).not.toBe('data-loss');
    expect(p.steps[0]!.sentence).not.toMatch(/never finished a sync/);
  });

  it('replaces a dead replica pod: forgets it and makes the new node the replica of the master it left orphaned', () => {
    const nodes = [
      node({ id: M1, port: 7001, slots: THIRDS[0] }),
      node({ id: M2, port: 7002, slots: THIRDS[1] }),
      node({ id: M3, port: 7003, slots: THIRDS[2] }),
      node({ id: R1, port: 7004, role: 'replica', masterId: M1 }),
      node({ id: R2, port: 7005, role: 'replica', masterId: M2, health: 'fail' }),
      node({ id: R3, port: 7006, role: 'replica', masterId: M3 }),
    ];
    const p = plan(topology(nodes, [outsider(7010, NEW)]));
    expect(kinds(p)).toEqual(['forget', 'meet', 'replicate']);
    expect(p.steps[0]).toMatchObject({ nodeId: R2 });
    expect(p.steps[2]).toMatchObject({ masterId: M2 });
  });
});
