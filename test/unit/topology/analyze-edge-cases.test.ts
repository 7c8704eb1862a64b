import { describe, expect, it } from 'vitest';
import { analyzeTopology, buildTopology, parseClusterNodes } from '../../../src/core/topology/index.ts';
import type {
  Finding,
  NodeView,
  PersistenceInfo,
  PodInfo,
  Probe,
  ReplicationInfo,
  Topology,
} from '../../../src/core/types.ts';
import { asSeenBy, clusterInfo, probesFromListing } from './helpers.ts';

const M1 = '1111111111111111111111111111111111111111';
const M2 = '2222222222222222222222222222222222222222';
const R1 = '3333333333333333333333333333333333333333';
const R2 = '4444444444444444444444444444444444444444';

function views(text: string): NodeView[] {
  const r = parseClusterNodes(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const healthy = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 slave ${M2} 0 0 2 connected
`);

function analyze(probes: Probe[], extra: Partial<Pick<Topology, 'pods' | 'podError'>> = {}): Finding[] {
  return analyzeTopology(buildTopology('test', probes, { takenAt: 1, ...extra }));
}

function only(findings: Finding[], code: string): Finding[] {
  return findings.filter((f) => f.code === code);
}

function replicaInfo(over: Partial<ReplicationInfo>): ReplicationInfo {
  return {
    role: 'slave',
    connectedSlaves: 0,
    masterReplOffset: 1000,
    replicas: [],
    masterHost: '127.0.0.1',
    masterPort: 7001,
    masterLinkStatus: 'up',
    slaveReplOffset: 1000,
    raw: {},
    ...over,
  };
}

function masterInfo(over: Partial<ReplicationInfo>): ReplicationInfo {
  return { role: 'master', connectedSlaves: 1, masterReplOffset: 1000, replicas: [], raw: {}, ...over };
}

function persistence(over: Partial<PersistenceInfo>): PersistenceInfo {
  return {
    aofEnabled: false,
    loading: false,
    rdbChangesSinceLastSave: 0,
    rdbLastBgsaveStatus: 'ok',
    aofLastWriteStatus: 'ok',
    ...over,
  };
}

function pod(name: string, port: number, over: Partial<PodInfo> = {}): PodInfo {
  return {
    name,
    namespace: 'redis',
    ip: '127.0.0.1',
    phase: 'Running',
    ready: true,
    restarts: 0,
    nodeName: `k8s-${name}`,
    port,
    ...over,
  };
}

describe('analyzeTopology', () => {
  describe('on a healthy cluster', () => {
    it('finds nothing', () => {
      expect(analyze(probesFromListing(healthy))).toEqual([]);
    });

    it('finds nothing with healthy pods on separate Kubernetes nodes', () => {
      const pods = [pod('r-0', 7001), pod('r-1', 7002), pod('r-2', 7003), pod('r-3', 7004)];
      expect(analyze(probesFromListing(healthy), { pods })).toEqual([]);
    });
  });

  describe('when our probe cannot reach a node the cluster thinks is fine', () => {
    for (const [outcome, words] of [
      ['refused', 'refused our connection'],
      ['timeout', 'did not answer within'],
      ['error', 'answered an error: ERR something went wrong'],
    ] as const) {
      it(`says the probe was ${outcome}`, () => {
        const f = only(
          analyze(probesFromListing(healthy, { outcomes: { '127.0.0.1:7004': outcome } })),
          'node-unreachable',
        );
        expect(f).toHaveLength(1);
        expect(f[0]!.nodes).toEqual([R2]);
        expect(f[0]!.summary).toContain(words);
        expect(f[0]!.severity).toBe('warning');
      });
    }

    it('is critical for a master that serves slots', () => {
      const f = only(
        analyze(probesFromListing(healthy, { outcomes: { '127.0.0.1:7001': 'timeout' } })),
        'node-unreachable',
      );
      expect(f[0]!.severity).toBe('critical');
    });
  });

  describe('when a node is suspected (fail?)', () => {
    it('says who suspects it', () => {
      const listing = healthy.map((v) =>
        v.id === R1 ? { ...v, flags: ['slave' as const, 'fail?' as const] } : v,
      );
      const f = only(analyze(probesFromListing(listing)), 'node-pfail');
      expect(f[0]!.nodes).toEqual([R1]);
      expect(f[0]!.evidence).toContain('127.0.0.1:7001 says fail?');
    });
  });

  describe('handshake and noaddr nodes', () => {
    const hs = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
    const na = 'fedcbafedcbafedcbafedcbafedcbafedcbafedc';
    const listing = [
      ...healthy,
      ...views(
        `${hs} 127.0.0.1:7009@17009 handshake - 0 0 0 connected\n${na} :0@0 slave,noaddr ${M2} 0 0 2 disconnected`,
      ),
    ];
    const findings = analyze(probesFromListing(listing, { outcomes: { '127.0.0.1:7009': 'timeout' } }));

    it('reports a handshake as info: it expires on its own', () => {
      const f = only(findings, 'node-handshake');
      expect(f.map((x) => [x.nodes, x.severity])).toEqual([[[hs], 'info']]);
    });

    it('reports a noaddr node', () => {
      expect(only(findings, 'node-noaddr')[0]!.nodes).toEqual([na]);
    });
  });

  describe('slots', () => {
    it('names slots no master covers', () => {
      const listing = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16000
`);
      const f = only(analyze(probesFromListing(listing)), 'slots-uncovered');
      expect(f).toHaveLength(1);
      expect(f[0]!.severity).toBe('critical');
      expect(f[0]!.evidence).toEqual(['slots 16001-16383 (383 slots) are served by no master']);
    });

    it('names open slots from the myself lines, with their peers', () => {
      const mine = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191 [100->-${M2}]
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383 [100-<-${M1}]
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 slave ${M2} 0 0 2 connected
`);
      const probes = probesFromListing(mine);
      const findings = only(analyze(probes), 'slots-open');
      expect(findings.map((f) => f.nodes[0])).toEqual([M1, M2]);
      expect(findings[0]!.evidence).toEqual([`slot 100 migrating to 127.0.0.1:7002 (${M2.slice(0, 8)})`]);
      expect(findings[1]!.evidence).toEqual([`slot 100 importing from 127.0.0.1:7001 (${M1.slice(0, 8)})`]);
    });

    it('names nodes that disagree about who owns slots', () => {
      const claim = healthy.map((v) =>
        v.id === M1
          ? { ...v, slots: [{ start: 0, end: 8200 }] }
          : v.id === M2
            ? { ...v, slots: [{ start: 8201, end: 16383 }] }
            : v,
      );
      const probes = probesFromListing(healthy);
      probes[0] = { ...probes[0]!, nodes: asSeenBy(claim, M1) };
      const f = only(analyze(probes), 'slot-owner-disagreement');
      expect(f).toHaveLength(1);
      expect(f[0]!.summary).toContain('owner of slots 8192-8200');
      expect(f[0]!.evidence).toEqual([
        `127.0.0.1:7001 says ${M1.slice(0, 8)}`,
        `127.0.0.1:7002, 127.0.0.1:7003, 127.0.0.1:7004 say ${M2.slice(0, 8)}`,
      ]);
    });

    it('names masters that share a config epoch', () => {
      const listing = healthy.map((v) => (v.id === M2 ? { ...v, configEpoch: 1 } : v));
      const f = only(analyze(probesFromListing(listing)), 'config-epoch-collision');
      expect(f).toHaveLength(1);
      expect(f[0]!.nodes.sort()).toEqual([M1, M2]);
    });
  });

  describe('replicas', () => {
    it('names a replica whose link to its master is down, and its master as orphaned', () => {
      const findings = analyze(
        probesFromListing(healthy, {
          extra: {
            '127.0.0.1:7003': {
              replication: replicaInfo({ masterLinkStatus: 'down', masterLinkDownSinceSeconds: 3 }),
            },
          },
        }),
      );
      expect(only(findings, 'replica-link-down')[0]!.nodes).toEqual([R1, M1]);
      expect(only(findings, 'replica-link-down')[0]!.summary).toContain('3 s ago');
      expect(only(findings, 'master-orphaned')[0]!.nodes).toEqual([M1]);
      expect(only(findings, 'replicas-unhealthy')[0]!.evidence).toEqual([
        `127.0.0.1:7003 (${R1.slice(0, 8)}): master link down`,
      ]);
      expect(only(findings, 'replica-cannot-failover')).toEqual([]);
    });

    it('says a replica disconnected too long cannot fail over', () => {
      const findings = analyze(
        probesFromListing(healthy, {
          extra: {
            '127.0.0.1:7003': {
              replication: replicaInfo({ masterLinkStatus: 'down', masterLinkDownSinceSeconds: 120 }),
            },
          },
        }),
      );
      const f = only(findings, 'replica-cannot-failover');
      expect(f[0]!.summary).toContain('master link down for 120 s');
      expect(
        analyzeTopology(
          buildTopology(
            't',
            probesFromListing(healthy, {
              extra: {
                '127.0.0.1:7003': {
                  replication: replicaInfo({ masterLinkStatus: 'down', masterLinkDownSinceSeconds: 120 }),
                },
              },
            }),
            { takenAt: 1 },
          ),
          { maxLinkDownSeconds: 300 },
        ).filter((x) => x.code === 'replica-cannot-failover'),
      ).toEqual([]);
    });

    it('says a nofailover replica cannot fail over, critical once its master failed', () => {
      const listing = healthy.map((v) =>
        v.id === R1
          ? { ...v, flags: ['slave' as const, 'nofailover' as const] }
          : v.id === M1
            ? { ...v, flags: ['master' as const, 'fail' as const] }
            : v,
      );
      const f = only(analyze(probesFromListing(listing)), 'replica-cannot-failover');
      expect(f).toHaveLength(1);
      expect(f[0]!.severity).toBe('critical');
      expect(f[0]!.summary).toContain('nofailover');
      expect(f[0]!.nodes).toEqual([R1, M1]);
    });

    it('names a replica that never synced', () => {
      const f = only(
        analyze(
          probesFromListing(healthy, {
            extra: {
              '127.0.0.1:7004': {
                replication: replicaInfo({
                  masterLinkStatus: 'down',
                  slaveReplOffset: 0,
                  masterReplOffset: 0,
                  masterLinkDownSinceSeconds: -1,
                }),
              },
            },
          }),
        ),
        'replica-never-synced',
      );
      expect(f[0]!.nodes).toEqual([R2, M2]);
      expect(f[0]!.evidence).toContain('master_link_down_since_seconds:-1');
    });

    it('names a replica lagging behind, from its master’s replica line', () => {
      const findings = analyze(
        probesFromListing(healthy, {
          extra: {
            '127.0.0.1:7001': {
              replication: masterInfo({
                masterReplOffset: 900_000_000,
                replicas: [{ ip: '127.0.0.1', port: 7003, state: 'online', offset: 100, lag: 30 }],
              }),
            },
            '127.0.0.1:7003': { replication: replicaInfo({ slaveReplOffset: 100 }) },
          },
        }),
      );
      const f = only(findings, 'replica-lagging');
      expect(f[0]!.nodes).toEqual([R1, M1]);
      expect(f[0]!.summary).toContain('last ack 30 s ago');
    });
  });

  describe('persistence', () => {
    it('warns that restarting a master without persistence empties its replicas (write-up 004)', () => {
      const f = only(
        analyze(
          probesFromListing(healthy, {
            extra: { '127.0.0.1:7001': { persistence: persistence({ aofEnabled: false, saveConfig: '' }) } },
          }),
        ),
        'master-no-persistence',
      );
      expect(f).toHaveLength(1);
      expect(f[0]!.summary).toContain('a restart of this master empties every replica');
      expect(f[0]!.nodes).toEqual([M1, R1]);
    });

    it('says nothing when AOF is on, RDB snapshots are on, or the save config is unknown', () => {
      for (const p of [
        persistence({ aofEnabled: true, saveConfig: '' }),
        persistence({ saveConfig: '3600 1 300 100' }),
        persistence({}),
      ]) {
        expect(
          only(
            analyze(probesFromListing(healthy, { extra: { '127.0.0.1:7001': { persistence: p } } })),
            'master-no-persistence',
          ),
        ).toEqual([]);
      }
    });
  });

  describe('cluster state', () => {
    it('names the members that say cluster_state:fail', () => {
      const f = only(
        analyze(
          probesFromListing(healthy, {
            extra: { '127.0.0.1:7002': { info: clusterInfo({ state: 'fail' }) } },
          }),
        ),
        'cluster-state-fail',
      );
      expect(f[0]!.nodes).toEqual([M2]);
      expect(f[0]!.summary).toMatch(/^1 of 4 nodes say cluster_state:fail/);
    });
  });

  describe('pods', () => {
    it('names a pod without an IP yet', () => {
      const f = only(
        analyze(probesFromListing(healthy), { pods: [pod('r-9', 6379, { ip: null, phase: 'Pending' })] }),
        'pod-not-in-cluster',
      );
      expect(f[0]!.severity).toBe('info');
      expect(f[0]!.summary).toContain('Pending');
    });

    it('names a pod whose Redis did not answer and is not in the cluster', () => {
      const probes: Probe[] = [
        ...probesFromListing(healthy),
        { addr: '127.0.0.1:7008', source: 'pod', outcome: 'refused', ms: 1 },
      ];
      const f = only(analyze(probes, { pods: [pod('r-8', 7008)] }), 'pod-not-in-cluster');
      expect(f[0]!.summary).toContain('did not answer');
    });

    it('says why a pod is not ready when Kubernetes says why', () => {
      const pods = [pod('r-0', 7001, { ready: false, notReadyReason: 'Readiness probe failed: Timed out' })];
      const f = only(analyze(probesFromListing(healthy), { pods }), 'pod-not-ready');
      expect(f[0]!.summary).toBe('pod r-0 is not ready: Readiness probe failed: Timed out');
      expect(f[0]!.nodes).toEqual([M1]);
    });

    it('names a master whose only replica runs on the same Kubernetes node', () => {
      const pods = [
        pod('r-0', 7001, { nodeName: 'a' }),
        pod('r-1', 7002, { nodeName: 'a' }),
        pod('r-2', 7003, { nodeName: 'a' }),
        pod('r-3', 7004, { nodeName: 'b' }),
      ];
      const f = only(analyze(probesFromListing(healthy), { pods }), 'shard-same-k8s-node');
      expect(f.map((x) => x.nodes)).toEqual([[M1, R1]]);
    });

    it('reports a Kubernetes API error and still analyzes Redis', () => {
      const findings = analyze(probesFromListing(healthy, { outcomes: { '127.0.0.1:7004': 'refused' } }), {
        podError: 'pods is forbidden (403)',
      });
      const codes = findings.map((f) => f.code);
      expect(codes).toContain('k8s-api-error');
      expect(codes).toContain('node-unreachable');
      expect(only(findings, 'k8s-api-error')[0]!.summary).toContain('pods is forbidden (403)');
    });
  });
});

describe('when no node answers', () => {
  const probes: Probe[] = [
    {
      addr: '127.0.0.1:7001',
      source: 'seed',
      outcome: 'refused',
      ms: 2,
      error: '127.0.0.1:7001 refused the connection',
    },
    {
      addr: '127.0.0.1:7002',
      source: 'seed',
      outcome: 'timeout',
      ms: 1000,
      error: 'no answer within 1000 ms',
    },
  ];
  const findings = analyzeTopology(buildTopology('c', probes, { takenAt: 0 }));

  it('says the state is unknown instead of guessing that every slot is lost', () => {
    expect(findings.map((f) => f.code)).toEqual(['cluster-unreachable']);
    expect(findings[0]?.severity).toBe('critical');
  });

  it('names each address and what happened to it', () => {
    expect(findings[0]?.evidence).toEqual([
      '127.0.0.1:7001: refused (127.0.0.1:7001 refused the connection)',
      '127.0.0.1:7002: timeout (no answer within 1000 ms)',
    ]);
  });
});
