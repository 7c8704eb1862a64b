import { describe, expect, it } from 'vitest';
import { type PlanAction, planForAction } from '../../../src/core/plans/intent-plans.ts';
import type { PlanOutcome } from '../../../src/core/types.ts';
import { addrOf, ctx, id, node, outsider, THIRDS, topology } from './topology-builder.ts';

const M1 = id('a');
const M2 = id('b');
const M3 = id('c');
const R1 = id('d');
const R2 = id('e');
const R3 = id('f');
const DEAD = id('7');
const NEW = id('9');

function cluster(opts: { m1Down?: boolean; pods?: boolean; noPersistence?: boolean; r2?: boolean } = {}) {
  const k = (n: string) => (opts.pods ? n : undefined);
  const nodes = [
    node({
      id: M1,
      port: 7001,
      slots: THIRDS[0],
      ...(opts.m1Down ? { health: 'fail' as const } : {}),
      k8sNode: k('k1'),
    }),
    node({ id: M2, port: 7002, slots: THIRDS[1], noPersistence: opts.noPersistence, k8sNode: k('k2') }),
    node({ id: M3, port: 7003, slots: THIRDS[2], k8sNode: k('k3') }),
    node({ id: R1, port: 7004, role: 'replica', masterId: M1, k8sNode: k('k2') }),
    node({ id: R3, port: 7006, role: 'replica', masterId: M3, k8sNode: k('k1') }),
    node({ id: DEAD, port: 7009, role: 'replica', masterId: M3, health: 'fail' }),
  ];
  if (opts.r2 !== false)
    nodes.push(node({ id: R2, port: 7005, role: 'replica', masterId: M2, k8sNode: k('k3') }));
  return topology(nodes, [outsider(7010, NEW)]);
}

function refused(out: PlanOutcome, code: string, pattern: RegExp) {
  expect(out.ok).toBe(false);
  if (out.ok) return;
  expect(out.code).toBe(code);
  expect(out.reason).toMatch(pattern);
}

const act = (t: ReturnType<typeof topology>, a: PlanAction) => planForAction(t, a, ctx);

describe('plans for named actions', () => {
  describe('failover <node>', () => {
    it('hands a master over to its replica in default mode (planned handover, write-up 003)', () => {
      const out = act(cluster(), { kind: 'failover', node: addrOf(7004), mode: 'default' });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.plan.steps).toEqual([
        expect.objectContaining({ kind: 'failover', mode: 'default', replicaId: R1, masterId: M1 }),
      ]);
      expect(out.plan.steps[0]!.commands).toEqual([`${addrOf(7004)} CLUSTER FAILOVER`]);
      expect(out.plan.approvalsNeeded).toBe(1);
    });

    it('accepts a unique id prefix of 6 characters', () => {
      const out = act(cluster(), { kind: 'failover', node: R1.slice(0, 6), mode: 'default' });
      expect(out.ok).toBe(true);
    });

    it('needs two approvers for takeover, the highest-risk failover', () => {
      const out = act(cluster(), { kind: 'failover', node: addrOf(7004), mode: 'takeover' });
      expect(out.ok && out.plan.approvalsNeeded).toBe(2);
      expect(out.ok && out.plan.risk).toBe('high');
    });

    it('refuses to fail over a master, naming its replicas', () => {
      refused(
        act(cluster(), { kind: 'failover', node: addrOf(7001), mode: 'default' }),
        'PLAN_REFUSED',
        /is a master.*7004/,
      );
    });

    it('refuses a planned handover when the master is down, and points to force', () => {
      refused(
        act(cluster({ m1Down: true }), { kind: 'failover', node: addrOf(7004), mode: 'default' }),
        'PLAN_REFUSED',
        /is down.*force/,
      );
    });

    it('allows force when the master is down', () => {
      const out = act(cluster({ m1Down: true }), { kind: 'failover', node: addrOf(7004), mode: 'force' });
      expect(out.ok && out.plan.steps[0]).toMatchObject({ mode: 'force', whenMasterDown: true });
    });

    it('refuses an unknown node, with suggestions', () => {
      const out = act(cluster(), { kind: 'failover', node: '10.0.0.1:7040', mode: 'default' });
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.code).toBe('UNKNOWN_NODE');
    });
  });

  describe('forget <node>', () => {
    it('forgets a dead replica on every live node', () => {
      const out = act(cluster(), { kind: 'forget', node: DEAD });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.plan.steps[0]).toMatchObject({ kind: 'forget', nodeId: DEAD });
      expect(out.plan.steps[0]!.commands).toHaveLength(6);
    });

    it('refuses to forget a node that is alive', () => {
      refused(act(cluster(), { kind: 'forget', node: addrOf(7004) }), 'PLAN_REFUSED', /alive/);
    });

    it('refuses to forget a node that still owns slots', () => {
      refused(
        act(cluster({ m1Down: true }), { kind: 'forget', node: M1 }),
        'PLAN_REFUSED',
        /still owns slots 0-5460/,
      );
    });
  });

  describe('join <node> [replica-of <master>]', () => {
    it('meets a new node and makes it the replica of the orphaned master', () => {
      const out = act(cluster({ r2: false }), { kind: 'join', node: addrOf(7010) });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.plan.steps.map((s) => s.kind)).toEqual(['meet', 'replicate']);
      expect(out.plan.steps[1]).toMatchObject({ addr: addrOf(7010), masterId: M2 });
    });

    it('follows the master named with replica-of', () => {
      const out = act(cluster(), { kind: 'join', node: addrOf(7010), replicaOf: addrOf(7003) });
      expect(out.ok && out.plan.steps[1]).toMatchObject({ masterId: M3 });
    });

    it('refuses a replica-of target that is itself a replica, naming its master', () => {
      refused(
        act(cluster(), { kind: 'join', node: addrOf(7010), replicaOf: addrOf(7004) }),
        'PLAN_REFUSED',
        /itself a replica.*7001/,
      );
    });

    it('refuses a node that serves slots', () => {
      refused(act(cluster(), { kind: 'join', node: addrOf(7002) }), 'PLAN_REFUSED', /serving slots/);
    });

    it('refuses a new node that holds keys', () => {
      const t = topology(cluster().nodes, [outsider(7010, NEW, { keys: 3 })]);
      refused(act(t, { kind: 'join', node: addrOf(7010) }), 'PLAN_REFUSED', /holds 3 keys/);
    });

    it('refuses an unknown replica-of target', () => {
      const out = act(cluster(), { kind: 'join', node: addrOf(7010), replicaOf: 'nope' });
      expect(!out.ok && out.code).toBe('UNKNOWN_NODE');
    });
  });

  describe('restart <pod>', () => {
    it('hands a master over to its replica before restarting its pod', () => {
      const out = act(cluster({ pods: true }), { kind: 'restart', pod: 'redis-7001' });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.plan.steps.map((s) => s.kind)).toEqual(['failover', 'restart-pod']);
      expect(out.plan.steps[1]).toMatchObject({ pod: 'redis-7001', namespace: 'redis' });
    });

    it('refuses to restart a master without persistence and without replica', () => {
      refused(
        act(cluster({ pods: true, noPersistence: true, r2: false }), { kind: 'restart', pod: 'redis-7002' }),
        'PLAN_REFUSED',
        /without persistence/,
      );
    });

    it('refuses an unknown pod', () => {
      const out = act(cluster({ pods: true }), { kind: 'restart', pod: 'redis-9999' });
      expect(!out.ok && out.code).toBe('UNKNOWN_NODE');
    });
  });
});
