import { describe, expect, it } from 'vitest';
import { stepHandler } from '../../../src/app/steps/index.ts';
import { planForAction } from '../../../src/core/plans/intent-plans.ts';
import { reintroduceStep } from '../../../src/core/plans/reintroduce-plan.ts';
import { movedNodesFinding } from '../../../src/core/topology/moved-nodes.ts';
import type { Plan, Step, Topology } from '../../../src/core/types.ts';
import { NEW, OLD, oldOf, plan, pods, scan } from '../topology/moved-helpers.ts';

const check = (t: Topology, s: Step) => stepHandler(s.kind)!.check(t, s);
const stale = () => scan(pods(NEW), (_o, n) => ({ addr: oldOf(n), flags: 'fail?' }));
const planned = (): Plan => {
  const out = plan(stale());
  if (!out.ok) throw new Error(out.reason);
  return out.plan;
};

describe('re-introduction steps, checked on a fresh topology before they run', () => {
  const [reintroduce, links] = planned().steps as [Step, Step];

  describe('reintroduce', () => {
    it('is ready while nodes list each other at the old addresses', () => {
      expect(check(stale(), reintroduce).state).toBe('ready');
    });
    it('is already done once every node lists every other at its new address', () => {
      const healed = scan(pods(NEW), (_o, n) => ({ addr: n.now }));
      expect(check(healed, reintroduce)).toMatchObject({ state: 'done' });
    });
    it('is stale when a node is no longer at its new address (it moved again), and touches nothing', () => {
      const all = pods(NEW);
      all[2]!.now = '10.0.7.3:6379';
      const r = check(
        scan(all, (_o, n) => ({ addr: oldOf({ ...n, now: NEW[all.indexOf(n)]! }) })),
        reintroduce,
      );
      expect(r).toMatchObject({ state: 'stale' });
      expect(r.state === 'stale' && r.reason).toMatch(/10\.0\.5\.3:6379 does not answer/);
    });
  });

  describe('replica-links', () => {
    const healed = (linkUp: boolean) => {
      const all = pods(NEW);
      all[4]!.linkUp = linkUp;
      return scan(all, (_o, n) => ({ addr: n.now }));
    };
    it('is done when every replica link is up to its master at the new address', () => {
      expect(check(healed(true), links)).toMatchObject({
        state: 'done',
        detail: 'all 3 replica links are up',
      });
    });
    it('is ready when a link is still down', () => {
      expect(check(healed(false), links).state).toBe('ready');
    });
    it('follows a failover Redis made while the nodes reconnected, and says so', () => {
      const all = pods(NEW);
      // Shard 1: the replica (pod 3) took over, the old master (pod 0) follows it.
      const [m, r] = [all[0]!, all[3]!];
      [m.slots, r.slots] = [undefined, m.slots];
      m.replicaOf = r.id;
      r.replicaOf = undefined;
      const res = check(
        scan(all, (_o, n) => ({ addr: n.now })),
        links,
      );
      expect(res).toMatchObject({ state: 'done' });
      expect(res.state === 'done' && res.detail).toMatch(
        /Redis failed over meanwhile: 10\.0\.5\.4:6379 \(dddddddd\) took over/,
      );
    });
  });

  it('lists every MEET of a small cluster, and one line per new address past 200 MEETs', () => {
    expect(reintroduce.commands).toHaveLength(30);
    const moves = Array.from({ length: 40 }, (_, i) => ({
      id: String(i).padStart(40, '0'),
      from: `10.0.3.${100 + i}:6379`,
      to: `10.0.5.${100 + i}:6379`,
      label: `redis-${i}`,
    }));
    const big = reintroduceStep(stale(), moves);
    expect(big.commands).toHaveLength(40);
    expect(big.sentence).toContain('redis-11 was 10.0.3.111, is now 10.0.5.111; and 28 more');
    const f = movedNodesFinding(
      moves.map((m) => ({ ...m, role: 'master' as const, staleIn: ['x'] })),
      stale(),
    );
    expect(f.summary).toMatch(/; and 28 more\.$/);
    expect(big.commands[0]).toBe(
      'each of the 6 live nodes but 10.0.5.100:6379: CLUSTER MEET 10.0.5.100 6379',
    );
  });

  it('refuses /redis forget of a node that answers at its new address', () => {
    const out = planForAction(
      stale(),
      { kind: 'forget', node: 'a'.repeat(40) },
      {
        cluster: 't',
        requestedBy: 'U1',
        now: 0,
        ttlMs: 60_000,
      },
    );
    expect(out.ok).toBe(false);
    expect(!out.ok && out.reason).toContain(
      `is alive at its new address ${NEW[0]} (other nodes still list ${OLD[0]})`,
    );
  });
});

describe("replicas left syncing from their master's old address (addresses fixed by hand)", () => {
  const healedBut = (syncsFrom?: string) => {
    const all = pods(NEW);
    all[4]!.linkUp = false;
    if (syncsFrom) all[4]!.syncsFrom = syncsFrom;
    return scan(all, (_o, n) => ({ addr: n.now }));
  };
  it('plans the replica-link check alone, naming the old address', () => {
    const out = plan(healedBut(OLD[1]));
    if (!out.ok) throw new Error(out.reason);
    expect(out.plan.steps.map((s) => s.kind)).toEqual(['replica-links']);
    expect(out.plan.title).toContain(`${NEW[4]} still syncs from ${OLD[1]}`);
  });
  it('plans nothing of the kind when the link is down but points at the right address', () => {
    const out = plan(healedBut());
    expect(out.ok && out.plan.steps.some((s) => s.kind === 'replica-links')).toBe(false);
  });
});
