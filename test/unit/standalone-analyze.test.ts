import { describe, expect, it } from 'vitest';
import { analyzeStandalone } from '../../src/core/standalone/analyze.ts';
import { buildStandaloneView, replicationAddrs } from '../../src/core/standalone/view.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import { downProbe, masterProbe, replicaProbe, sentinelView, standalone } from './standalone-helpers.ts';

const M = '10.0.0.1:6379';
const R1 = '10.0.0.2:6379';
const R2 = '10.0.0.3:6379';

function healthy(opts: { aof?: boolean; save?: string } = {}) {
  return [
    masterProbe({ addr: M, replicas: [{ addr: R1 }, { addr: R2 }], ...opts }),
    replicaProbe({ addr: R1, follows: M }),
    replicaProbe({ addr: R2, follows: M }),
  ];
}

describe('standalone view', () => {
  it('links each replica to its master, with offsets and lag', () => {
    const view = buildStandaloneView(
      standalone([
        masterProbe({
          addr: M,
          offset: 5000,
          replicas: [
            { addr: R1, lag: 1 },
            { addr: R2, lag: 30 },
          ],
        }),
        replicaProbe({ addr: R1, follows: M, offset: 5000 }),
        replicaProbe({ addr: R2, follows: M, offset: 4000 }),
      ]),
    );
    expect(view.masters.map((m) => m.addr)).toEqual([M]);
    expect(view.byAddr(M)?.replicas).toEqual([R1, R2]);
    expect(view.byAddr(R2)).toMatchObject({ masterAddr: M, lagBytes: 1000, lagSeconds: 30, linkUp: true });
  });

  it('recognises a master named by its DNS name through its replica lines', () => {
    const view = buildStandaloneView(
      standalone([
        masterProbe({ addr: M, replicas: [{ addr: R1 }] }),
        replicaProbe({ addr: R1, follows: 'redis-master-0.redis-headless:6379' }),
        downProbe('redis-master-0.redis-headless:6379', 'error'),
      ]),
    );
    expect(view.byAddr(R1)?.masterAddr).toBe(M);
    expect(view.byAddr(M)?.replicas).toEqual([R1]);
  });

  it('names the addresses INFO replication points to, so one seed finds the whole set', () => {
    expect(replicationAddrs(masterProbe({ addr: M, replicas: [{ addr: R1 }, { addr: R2 }] }))).toEqual([
      R1,
      R2,
    ]);
    expect(replicationAddrs(replicaProbe({ addr: R1, follows: M }))).toEqual([M]);
  });
});

describe('standalone findings', () => {
  it('finds nothing on a master with AOF and linked replicas', () => {
    expect(analyzeTopology(standalone(healthy({ aof: true })))).toEqual([]);
  });

  it('says plainly that restarting a master without persistence empties every replica', () => {
    const [f] = analyzeTopology(standalone(healthy()));
    expect(f).toMatchObject({ code: 'standalone-master-no-persistence', severity: 'warning' });
    expect(f!.summary).toBe(
      `master ${M} has no persistence (appendonly no, save ""): a restart of this master empties every replica (2 replicas, 10 keys at risk). Promote a replica before restarting it, or turn AOF on`,
    );
    expect(f!.addrs).toEqual([M, R1, R2]);
  });

  it('does not flag a master with RDB snapshots, nor one whose save policy is unknown', () => {
    expect(analyzeTopology(standalone(healthy({ save: '3600 1' })))).toEqual([]);
    const unknown = [
      masterProbe({ addr: M, replicas: [{ addr: R1 }], save: undefined }),
      replicaProbe({ addr: R1, follows: M }),
    ];
    expect(analyzeTopology(standalone(unknown))).toEqual([]);
  });

  it('reports no master when the replicas follow an address that refuses connections', () => {
    const findings = analyzeStandalone(
      standalone([
        downProbe(M),
        replicaProbe({ addr: R1, follows: M, link: 'down', offset: 900 }),
        replicaProbe({ addr: R2, follows: M, link: 'down', offset: 800 }),
      ]),
    );
    expect(findings.map((f) => f.code)).toEqual(['standalone-no-master']);
    expect(findings[0]!.severity).toBe('critical');
    expect(findings[0]!.summary).toContain(`2 replicas follow ${M}, which refused our connection`);
    expect(findings[0]!.evidence).toContain(
      `${R1} says role:slave, master ${M}, link down for 12 s, offset 900`,
    );
  });

  it('reports two masters as split brain', () => {
    const findings = analyzeStandalone(
      standalone([
        masterProbe({ addr: M, replicas: [{ addr: R1 }], aof: true }),
        replicaProbe({ addr: R1, follows: M }),
        masterProbe({ addr: R2, keys: 0, aof: true }),
      ]),
    );
    expect(findings.map((f) => f.code)).toEqual(['standalone-split-brain']);
    expect(findings[0]!.summary).toContain(`${M} (10 keys, 1 replica) and ${R2} (0 keys, 0 replicas)`);
  });

  it('reports a replica whose link to a live master is down, and one far behind', () => {
    const findings = analyzeStandalone(
      standalone([
        masterProbe({ addr: M, offset: 200_000_000, aof: true, replicas: [{ addr: R2, lag: 0 }] }),
        replicaProbe({ addr: R1, follows: M, link: 'down', downSince: 40 }),
        replicaProbe({ addr: R2, follows: M, offset: 100_000_000 }),
      ]),
    );
    expect(findings.map((f) => f.code)).toEqual([
      'standalone-replica-link-down',
      'standalone-replica-behind',
    ]);
    expect(findings[0]!.summary).toContain(`replica ${R1} has its link to ${M} down for 40 s`);
    expect(findings[1]!.summary).toContain('100000000 bytes');
  });

  it('notices Sentinel watching when the bot was not told about it', () => {
    const probes = [
      masterProbe({ addr: M, replicas: [{ addr: R1 }], aof: true, sentinelSubscribers: 3 }),
      replicaProbe({ addr: R1, follows: M, sentinelSubscribers: 3 }),
    ];
    const findings = analyzeStandalone(standalone(probes));
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['standalone-sentinel-unconfigured', 'info']]);
    expect(findings[0]!.evidence).toContain(`${M} has 3 subscriber(s) on __sentinel__:hello`);
  });

  it('reports Sentinel naming another master than the one that answers', () => {
    const probes = [
      masterProbe({ addr: M, replicas: [{ addr: R1 }], aof: true }),
      replicaProbe({ addr: R1, follows: M }),
    ];
    const findings = analyzeStandalone(standalone(probes, { sentinel: sentinelView(R2) }));
    expect(findings.map((f) => f.code)).toEqual(['standalone-sentinel-disagrees']);
    expect(findings[0]!.summary).toBe(
      `Sentinel names ${R2} as master of "orders", but ${M} is the master that answers`,
    );
  });
});
