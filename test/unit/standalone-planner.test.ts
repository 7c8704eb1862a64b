import { describe, expect, it } from 'vitest';
import { enableAofHandler } from '../../src/app/steps/enable-aof.ts';
import { promoteHandler } from '../../src/app/steps/promote.ts';
import { replicaofHandler } from '../../src/app/steps/replicaof.ts';
import { sentinelFailoverHandler } from '../../src/app/steps/sentinel-failover.ts';
import { planForAction } from '../../src/core/plans/intent-plans.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { Plan, Step, Topology } from '../../src/core/types.ts';
import {
  ctx,
  downProbe,
  masterProbe,
  pod,
  replicaProbe,
  sentinelView,
  standalone,
} from './standalone-helpers.ts';

const M = '10.0.0.1:6379';
const R1 = '10.0.0.2:6379';
const R2 = '10.0.0.3:6379';

function plan(topology: Topology): Plan {
  const outcome = planForFindings(topology, analyzeTopology(topology), ctx);
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.reason}`);
  return outcome.plan;
}

function masterGone(extra: Parameters<typeof standalone>[1] = {}, subscribers = 0): Topology {
  return standalone(
    [
      downProbe(M),
      replicaProbe({ addr: R1, follows: M, link: 'down', offset: 800, sentinelSubscribers: subscribers }),
      replicaProbe({ addr: R2, follows: M, link: 'down', offset: 900, sentinelSubscribers: subscribers }),
    ],
    extra,
  );
}

function stepOf<K extends Step['kind']>(p: Plan, i: number, kind: K): Extract<Step, { kind: K }> {
  const s = p.steps[i];
  if (s?.kind !== kind) throw new Error(`step ${i} is ${s?.kind}, not ${kind}`);
  return s as Extract<Step, { kind: K }>;
}

describe('standalone planner', () => {
  describe('when the master is gone', () => {
    it('promotes the replica with the highest offset and makes the other follow it', () => {
      const p = plan(masterGone());
      expect(p.title).toBe(`Promote ${R2} (highest offset) in place of ${M}, and make ${R1} follow it`);
      expect(p.steps.map((s) => [s.kind, s.commands])).toEqual([
        ['promote', [`${R2} REPLICAOF NO ONE`]],
        ['replicaof', [`${R1} REPLICAOF 10.0.0.3 6379`]],
      ]);
      expect(stepOf(p, 0, 'promote')).toMatchObject({ formerMaster: M, risk: 'medium' });
      expect(p.findings.map((f) => f.code)).toEqual(['standalone-no-master']);
    });

    it('goes through Sentinel when Sentinel is configured, with no REPLICAOF of its own', () => {
      const p = plan(masterGone({ sentinel: sentinelView(M) }, 3));
      expect(p.steps.map((s) => s.kind)).toEqual(['sentinel-failover']);
      expect(p.steps[0]!.commands).toEqual(['127.0.0.1:26379 SENTINEL FAILOVER orders']);
      expect(stepOf(p, 0, 'sentinel-failover')).toMatchObject({ masterName: 'orders', masterAddr: M });
    });

    it('waits while Sentinel is failing over already', () => {
      const t = masterGone({ sentinel: sentinelView(M, { flags: 'o_down,master,failover_in_progress' }) }, 3);
      const outcome = planForFindings(t, analyzeTopology(t), ctx);
      expect(outcome).toMatchObject({ ok: false, code: 'NOTHING_TO_DO' });
    });

    it('refuses to promote by hand when Sentinel watches but is not configured', () => {
      const t = masterGone({}, 3);
      const outcome = planForFindings(t, analyzeTopology(t), ctx);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.code).toBe('PLAN_REFUSED');
        expect(outcome.reason).toContain('will not promote or repoint replicas behind their back');
      }
    });
  });

  describe('when two masters answer', () => {
    it('keeps the one with replicas and data, and makes an empty one follow it at low risk', () => {
      const p = plan(
        standalone([
          masterProbe({ addr: M, keys: 0, aof: true }),
          masterProbe({ addr: R1, replicas: [{ addr: R2 }], keys: 71, aof: true }),
          replicaProbe({ addr: R2, follows: R1 }),
        ]),
      );
      expect(p.steps.map((s) => [s.kind, s.risk, s.commands])).toEqual([
        ['replicaof', 'low', [`${M} REPLICAOF 10.0.0.2 6379`]],
      ]);
      expect(stepOf(p, 0, 'replicaof').expectEmpty).toBe(true);
    });

    it('marks the demotion of a master holding keys as data loss', () => {
      const p = plan(
        standalone([
          masterProbe({ addr: M, keys: 5, aof: true }),
          masterProbe({ addr: R1, replicas: [{ addr: R2 }], keys: 71, aof: true }),
          replicaProbe({ addr: R2, follows: R1 }),
        ]),
      );
      expect(p.risk).toBe('data-loss');
      expect(p.steps[0]!.sentence).toContain('they are dropped and replaced by a copy of 10.0.0.2:6379');
    });
  });

  describe('when the master has no persistence', () => {
    it('turns AOF on and names the chart value that keeps it', () => {
      const p = plan(
        standalone([
          masterProbe({ addr: M, replicas: [{ addr: R1 }] }),
          replicaProbe({ addr: R1, follows: M }),
        ]),
      );
      expect(p.steps.map((s) => [s.kind, s.commands])).toEqual([
        ['enable-aof', [`${M} CONFIG SET appendonly yes`]],
      ]);
      expect(p.steps[0]!.sentence).toContain('This lasts only until the next restart');
      expect(p.steps[0]!.sentence).toContain('`master.persistence.enabled=true`');
    });
  });

  it('has nothing to do on a healthy set', () => {
    const t = standalone([
      masterProbe({ addr: M, replicas: [{ addr: R1 }], aof: true }),
      replicaProbe({ addr: R1, follows: M, aof: true }),
    ]);
    expect(planForFindings(t, analyzeTopology(t), ctx)).toMatchObject({ ok: false, code: 'NOTHING_TO_DO' });
  });
});

describe('safe restart of a master (restart <pod>)', () => {
  const pods = [
    pod('ds-redis-master-0', '10.0.0.1'),
    pod('ds-redis-replicas-0', '10.0.0.2'),
    pod('ds-redis-replicas-1', '10.0.0.3'),
  ];
  const withPods = () =>
    standalone(
      [
        masterProbe({ addr: M, replicas: [{ addr: R1, offset: 990 }, { addr: R2 }] }),
        replicaProbe({ addr: R1, follows: M, offset: 990 }),
        replicaProbe({ addr: R2, follows: M, offset: 1000 }),
      ],
      { pods },
    );

  it('hands over to the best replica, repoints the other, restarts the pod, and makes it follow again', () => {
    const outcome = planForAction(withPods(), { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    if (!outcome.ok) throw new Error(outcome.reason);
    const p = outcome.plan;
    expect(p.steps.map((s) => [s.kind, s.commands])).toEqual([
      ['promote', [`${M} FAILOVER TO 10.0.0.3 6379 TIMEOUT 10000`]],
      ['replicaof', [`${R1} REPLICAOF 10.0.0.3 6379`]],
      ['restart-pod', ['k8s DELETE pod redis-mr/ds-redis-master-0']],
      ['replicaof', [`${M} REPLICAOF 10.0.0.3 6379`]],
    ]);
    expect(stepOf(p, 3, 'replicaof').pod).toEqual({ name: 'ds-redis-master-0', namespace: 'redis-mr' });
  });

  it('refuses a master without persistence and without replicas: its keys would be lost', () => {
    const t = standalone([masterProbe({ addr: M, keys: 71 })], {
      pods: [pod('ds-redis-master-0', '10.0.0.1')],
    });
    const outcome = planForAction(t, { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    expect(outcome).toMatchObject({ ok: false, code: 'PLAN_REFUSED' });
    if (!outcome.ok) expect(outcome.reason).toContain('restarting it loses its 71 keys');
  });

  it('restarts a master with persistence directly', () => {
    const t = standalone(
      [masterProbe({ addr: M, replicas: [{ addr: R1 }], aof: true }), replicaProbe({ addr: R1, follows: M })],
      { pods },
    );
    const outcome = planForAction(t, { kind: 'restart', pod: 'ds-redis-master-0' }, ctx);
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((s) => s.kind)).toEqual(['restart-pod']);
  });

  it('refuses cluster-only sub-commands', () => {
    expect(planForAction(withPods(), { kind: 'forget', node: M }, ctx)).toMatchObject({
      ok: false,
      code: 'PLAN_REFUSED',
    });
  });
});

describe('planned handover (failover <replica>)', () => {
  const live = (extra: Parameters<typeof standalone>[1] = {}, subscribers = 0) =>
    standalone(
      [
        masterProbe({
          addr: M,
          replicas: [{ addr: R1 }, { addr: R2 }],
          aof: true,
          sentinelSubscribers: subscribers,
        }),
        replicaProbe({ addr: R1, follows: M }),
        replicaProbe({ addr: R2, follows: M }),
      ],
      extra,
    );

  it('hands the master over to the named replica with FAILOVER TO, then repoints the other', () => {
    const outcome = planForAction(live(), { kind: 'failover', node: R1, mode: 'default' }, ctx);
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((s) => s.commands[0])).toEqual([
      `${M} FAILOVER TO 10.0.0.2 6379 TIMEOUT 10000`,
      `${R2} REPLICAOF 10.0.0.2 6379`,
    ]);
  });

  it('asks Sentinel instead when Sentinel is configured, with the other replica kept out of its choice', () => {
    const outcome = planForAction(
      live({ sentinel: sentinelView(M) }, 3),
      { kind: 'failover', node: R1, mode: 'default' },
      ctx,
    );
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.plan.steps.map((s) => s.kind)).toEqual([
      'replica-priority',
      'sentinel-failover',
      'replica-priority',
    ]);
    expect(outcome.plan.steps.map((s) => s.commands[0])).toEqual([
      `${R2} CONFIG SET replica-priority 0`,
      expect.stringContaining('SENTINEL FAILOVER orders'),
      `${R2} CONFIG SET replica-priority 100`,
    ]);
    expect(outcome.plan.steps[1]).toMatchObject({ expectPromoted: R1 });
  });

  it('refuses when Sentinel watches but is not configured, and names an unknown node plainly', () => {
    expect(planForAction(live({}, 3), { kind: 'failover', node: R1, mode: 'default' }, ctx)).toMatchObject({
      ok: false,
      code: 'PLAN_REFUSED',
    });
    expect(
      planForAction(live(), { kind: 'failover', node: '10.9.9.9:6379', mode: 'default' }, ctx),
    ).toMatchObject({
      ok: false,
      code: 'UNKNOWN_NODE',
    });
  });
});

describe('standalone step checks', () => {
  const promote = (): Extract<Step, { kind: 'promote' }> => {
    const p = plan(masterGone());
    return stepOf(p, 0, 'promote');
  };

  it('promote: ready while the master is gone and the candidate leads', () => {
    expect(promoteHandler.check(masterGone(), promote())).toEqual({ state: 'ready' });
  });

  it('promote: stale once the old master answers again', () => {
    const back = standalone([
      masterProbe({ addr: M, replicas: [{ addr: R1 }, { addr: R2 }] }),
      replicaProbe({ addr: R1, follows: M }),
      replicaProbe({ addr: R2, follows: M }),
    ]);
    const r = promoteHandler.check(back, promote());
    expect(r.state).toBe('stale');
    if (r.state === 'stale') expect(r.reason).toContain(`master ${M} answers again`);
  });

  it('promote: stale when another replica got further ahead', () => {
    const moved = standalone([
      downProbe(M),
      replicaProbe({ addr: R1, follows: M, link: 'down', offset: 950 }),
      replicaProbe({ addr: R2, follows: M, link: 'down', offset: 900 }),
    ]);
    const step = promote();
    const ahead = standalone([
      downProbe(M),
      replicaProbe({ addr: R1, follows: M, link: 'down', offset: 1000 }),
      replicaProbe({ addr: R2, follows: M, link: 'down', offset: 900 }),
    ]);
    expect(promoteHandler.check(moved, step).state).toBe('stale');
    expect(promoteHandler.check(ahead, step).state).toBe('stale');
  });

  it('promote: done when the candidate is master already; stale when Sentinel watches', () => {
    const done = standalone([
      downProbe(M),
      masterProbe({ addr: R2, replicas: [] }),
      replicaProbe({ addr: R1, follows: M, link: 'down' }),
    ]);
    expect(promoteHandler.check(done, promote()).state).toBe('done');
    expect(promoteHandler.check(masterGone({}, 2), promote()).state).toBe('stale');
  });

  it('replicaof: done when already following with the link up; stale when an empty node now holds keys', () => {
    const step: Extract<Step, { kind: 'replicaof' }> = {
      kind: 'replicaof',
      addr: R1,
      masterAddr: M,
      expectEmpty: true,
      risk: 'low',
      sentence: '',
      commands: [],
    };
    const following = standalone([
      masterProbe({ addr: M, replicas: [{ addr: R1 }] }),
      replicaProbe({ addr: R1, follows: M }),
    ]);
    expect(replicaofHandler.check(following, step).state).toBe('done');
    const full = standalone([masterProbe({ addr: M }), masterProbe({ addr: R1, keys: 3 })]);
    expect(replicaofHandler.check(full, step).state).toBe('stale');
    const empty = standalone([masterProbe({ addr: M }), masterProbe({ addr: R1, keys: 0 })]);
    expect(replicaofHandler.check(empty, step).state).toBe('ready');
  });

  it('replicaof with a pod: follows the pod to its new address', () => {
    const step: Extract<Step, { kind: 'replicaof' }> = {
      kind: 'replicaof',
      addr: M,
      masterAddr: R2,
      pod: { name: 'ds-redis-master-0', namespace: 'redis-mr' },
      expectEmpty: true,
      risk: 'low',
      sentence: '',
      commands: [],
    };
    const recreated = standalone(
      [masterProbe({ addr: '10.0.0.9:6379', keys: 0 }), masterProbe({ addr: R2, replicas: [] })],
      { pods: [pod('ds-redis-master-0', '10.0.0.9')] },
    );
    expect(replicaofHandler.check(recreated, step)).toEqual({ state: 'ready' });
  });

  it('enable-aof: done when AOF is on already', () => {
    const step: Step = { kind: 'enable-aof', addr: M, risk: 'low', sentence: '', commands: [] };
    expect(enableAofHandler.check(standalone([masterProbe({ addr: M, aof: true })]), step).state).toBe(
      'done',
    );
    expect(enableAofHandler.check(standalone([masterProbe({ addr: M })]), step).state).toBe('ready');
  });

  it('sentinel-failover: done once Sentinel names another master that answers as one', () => {
    const step: Extract<Step, { kind: 'sentinel-failover' }> = {
      kind: 'sentinel-failover',
      masterName: 'orders',
      sentinels: ['127.0.0.1:26379'],
      masterAddr: M,
      risk: 'medium',
      sentence: '',
      commands: [],
    };
    const after = standalone(
      [
        downProbe(M),
        masterProbe({ addr: R2, replicas: [{ addr: R1 }] }),
        replicaProbe({ addr: R1, follows: R2 }),
      ],
      {
        sentinel: sentinelView(R2),
      },
    );
    expect(sentinelFailoverHandler.check(after, step).state).toBe('done');
    expect(sentinelFailoverHandler.check(masterGone({ sentinel: sentinelView(M) }, 3), step).state).toBe(
      'ready',
    );
    expect(sentinelFailoverHandler.check(masterGone(), step).state).toBe('stale');
  });
});
