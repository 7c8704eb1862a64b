import { describe, expect, it } from 'vitest';
import { analyzeTopology, buildTopology, parseClusterInfo } from '../../../src/core/topology/index.ts';
import type { Finding, PodInfo, Probe, Topology } from '../../../src/core/types.ts';
import {
  aloneProbe,
  clusterInfo,
  endpointsFromTable,
  fixture,
  nodesFixture,
  podsFromTable,
  probesFromListing,
} from './helpers.ts';

const RCC_ORPHAN = '3d0c99018c2df217f7b03e65a90063c91bef6e67';
const RCC_NEW_NODE = '4205c956cbb67e5155931c5dfa9377d903899226';
const RCC_GHOST = 'deadbeef00000000000000000000000000000009';

function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
}

function only(findings: Finding[], code: string): Finding[] {
  return findings.filter((f) => f.code === code);
}

function scan(probes: Probe[], opts: { pods?: PodInfo[]; podError?: string } = {}): Topology {
  return buildTopology('test', probes, { takenAt: 1_700_000_000_000, ...opts });
}

/** Write-up 000: the endpoints of the `redis-cluster` service, each probed on 6379. */
function rccScan(withPods: boolean): { topology: Topology; findings: Finding[] } {
  const listing = nodesFixture('000-rcc-before-meet.txt');
  const probes = probesFromListing(listing, { seed: '172.25.184.208:6379' });
  const endpoints = endpointsFromTable(fixture('endpoints/000-rcc-endpoints.txt'));
  const pods: PodInfo[] = endpoints.map(({ ip, name }) => ({
    name,
    namespace: 'redis',
    ip,
    phase: 'Running',
    ready: true,
    restarts: 0,
    nodeName: null,
    port: 6379,
  }));
  for (const { ip } of endpoints) {
    const addr = `${ip}:6379`;
    if (probes.some((p) => p.addr === addr)) continue;
    // Only the new pod is not in CLUSTER NODES: it answers alone, as in the write-up.
    probes.push(aloneProbe(addr, RCC_NEW_NODE, withPods ? 'pod' : 'extra'));
  }
  const topology = scan(probes, withPods ? { pods } : {});
  return { topology, findings: analyzeTopology(topology) };
}

describe('analyzeTopology on the write-ups', () => {
  describe('000 rcc: a master pod restarted with a new IP and id, 18 endpoints', () => {
    it('names exactly one orphaned master, 3d0c99…', () => {
      const { findings } = rccScan(false);
      const orphaned = only(findings, 'master-orphaned');
      expect(orphaned).toHaveLength(1);
      expect(orphaned[0]!.nodes).toEqual([RCC_ORPHAN]);
      expect(orphaned[0]!.addrs).toEqual(['172.27.36.237:6379']);
      expect(orphaned[0]!.evidence).toContain('#replicas 0');
    });

    it('names 172.31.182.46 as a live node outside the cluster, and nothing else as outside', () => {
      const { topology, findings } = rccScan(false);
      expect(topology.outsiders.map((p) => p.addr)).toEqual(['172.31.182.46:6379']);
      const outside = only(findings, 'node-outside-cluster');
      expect(outside).toHaveLength(1);
      expect(outside[0]!.addrs).toEqual(['172.31.182.46:6379']);
      expect(outside[0]!.nodes).toEqual([RCC_NEW_NODE]);
      expect(outside[0]!.evidence).toContain('172.31.182.46:6379 says cluster_known_nodes:1');
    });

    it('names the old failed id as a ghost to forget, reported by every live member', () => {
      const { findings } = rccScan(false);
      const failed = only(findings, 'node-failed');
      expect(failed.map((f) => f.nodes)).toEqual([[RCC_GHOST]]);
      expect(failed[0]!.severity).toBe('warning');
      expect(failed[0]!.evidence).toHaveLength(17);
      expect(failed[0]!.evidence).toContain('172.25.184.208:6379 says fail');
    });

    it('finds nothing else: all slots covered, cluster state ok', () => {
      const { findings } = rccScan(false);
      expect(codes(findings).sort()).toEqual(['master-orphaned', 'node-failed', 'node-outside-cluster']);
    });

    it('with the endpoints as pods, also names the pod redis-cluster-6-7s2gd as not in the cluster', () => {
      const { findings } = rccScan(true);
      const podFindings = only(findings, 'pod-not-in-cluster');
      expect(podFindings).toHaveLength(1);
      expect(podFindings[0]!.summary).toContain('redis-cluster-6-7s2gd');
      expect(only(findings, 'node-outside-cluster')[0]!.summary).toContain('redis-cluster-6-7s2gd');
    });

    it('after MEET and REPLICATE, only the ghost is left', () => {
      const listing = nodesFixture('000-rcc-after-replicate.txt');
      const findings = analyzeTopology(scan(probesFromListing(listing)));
      expect(codes(findings)).toEqual(['node-failed']);
      expect(findings[0]!.nodes).toEqual([RCC_GHOST]);
    });
  });

  describe('001 two groups: group A (3 masters, 3 replicas) killed, no majority left', () => {
    const linkDown = {
      replication: {
        role: 'slave' as const,
        connectedSlaves: 0,
        masterReplOffset: 5000,
        replicas: [],
        masterLinkStatus: 'down' as const,
        slaveReplOffset: 5000,
        masterLinkDownSinceSeconds: 60,
        raw: {},
      },
      info: clusterInfo({ state: 'fail', slotsOk: 0, slotsPfail: 16384 }),
    };
    const listing = nodesFixture('001-group-a-lost.txt');
    const probes = probesFromListing(listing, {
      outcomes: Object.fromEntries(
        listing.filter((v) => v.id.startsWith('a')).map((v) => [v.addr!, 'timeout']),
      ),
      extra: { '172.18.0.8:6379': linkDown, '172.18.0.9:6379': linkDown, '172.18.0.10:6379': linkDown },
    });
    const spares = ['11', '12', '13'].map((n, i) =>
      aloneProbe(`172.18.0.${n}:6379`, `${'c'.repeat(39)}${i + 4}`, 'seed'),
    );
    const findings = analyzeTopology(scan([...probes, ...spares]));

    it('sees all six group A nodes as suspected down (nobody can mark them failed)', () => {
      const pfail = only(findings, 'node-pfail');
      expect(pfail.flatMap((f) => f.nodes).sort()).toEqual(
        listing
          .filter((v) => v.id.startsWith('a'))
          .map((v) => v.id)
          .sort(),
      );
    });

    it('says every slot sits on a dead master and the cluster is down', () => {
      expect(only(findings, 'slots-on-failed-master')).toHaveLength(3);
      expect(only(findings, 'cluster-state-fail')[0]!.nodes).toHaveLength(3);
      expect(codes(findings)).not.toContain('slots-uncovered');
      expect(findings[0]!.severity).toBe('critical');
    });

    it('says the group B replicas cannot fail over by themselves (link down 60 s)', () => {
      const cannot = only(findings, 'replica-cannot-failover');
      expect(cannot.map((f) => f.nodes[0]).sort()).toEqual([
        'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1',
        'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2',
        'b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3',
      ]);
      expect(cannot.every((f) => f.severity === 'critical')).toBe(true);
    });

    it('names the three spare group B nodes as outside the cluster', () => {
      expect(only(findings, 'node-outside-cluster').flatMap((f) => f.addrs)).toEqual([
        '172.18.0.11:6379',
        '172.18.0.12:6379',
        '172.18.0.13:6379',
      ]);
    });
  });

  describe('002 part 1: three masters without replicas, one dies', () => {
    const failedInfo = parseClusterInfo(fixture('cluster-info/002-three-masters-one-failed.txt'));
    if (!failedInfo.ok) throw new Error(failedInfo.error);
    const listing = nodesFixture('002-three-masters-one-failed.txt');
    const probes = probesFromListing(listing, {
      extra: { '127.0.0.1:7001': { info: failedInfo.value }, '127.0.0.1:7003': { info: failedInfo.value } },
    });
    const findings = analyzeTopology(scan(probes));
    const FAILED = '79816979a6dd4b226e476121dd385ed6c25e5151';

    it('says 5462 slots sit on the failed master, which has no replica', () => {
      const f = only(findings, 'slots-on-failed-master');
      expect(f).toHaveLength(1);
      expect(f[0]!.nodes).toEqual([FAILED]);
      expect(f[0]!.summary).toContain('5461-10922 (5462 slots)');
      expect(f[0]!.summary).toContain('no replica');
    });

    it('says the cluster is down, quoting cluster_state:fail', () => {
      const f = only(findings, 'cluster-state-fail');
      expect(f[0]!.evidence[0]).toContain('127.0.0.1:7001 says cluster_state:fail');
      expect(f[0]!.evidence[0]).toContain('fail 5462');
    });

    it('marks the failed master critical and the two survivors as orphaned masters', () => {
      const failed = only(findings, 'node-failed');
      expect(failed[0]!.severity).toBe('critical');
      expect(failed[0]!.nodes).toEqual([FAILED]);
      expect(
        only(findings, 'master-orphaned')
          .map((f) => f.addrs![0])
          .sort(),
      ).toEqual(['127.0.0.1:7001', '127.0.0.1:7003']);
    });

    it('lists critical findings first', () => {
      const ranks = findings.map((f) => ['critical', 'warning', 'info'].indexOf(f.severity));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(codes(findings).slice(0, 3).sort()).toEqual([
        'cluster-state-fail',
        'node-failed',
        'slots-on-failed-master',
      ]);
    });

    it('after the restart, only the by-design lack of replicas is left', () => {
      const recovered = analyzeTopology(
        scan(probesFromListing(nodesFixture('002-three-masters-recovered.txt'))),
      );
      expect(codes(recovered)).toEqual(['master-orphaned', 'master-orphaned', 'master-orphaned']);
    });
  });

  describe('002 part 2: 3 masters + 3 replicas, a master dies and its replica wins', () => {
    it('names the dead master as a ghost and the promoted replica as a master without replica', () => {
      const findings = analyzeTopology(scan(probesFromListing(nodesFixture('002-replica-promoted.txt'))));
      expect(codes(findings).sort()).toEqual(['master-orphaned', 'node-failed']);
      expect(only(findings, 'node-failed')[0]!.nodes).toEqual(['c952f5ef4783b5c19129bc630b88e8e3bf602622']);
      expect(only(findings, 'master-orphaned')[0]!.nodes).toEqual([
        '094af2ab1db0d147d7f475f3954429ae7d18dee0',
      ]);
    });

    it('finds nothing once the old master is back as a replica', () => {
      expect(
        analyzeTopology(scan(probesFromListing(nodesFixture('002-old-master-back-as-replica.txt')))),
      ).toEqual([]);
    });
  });

  describe('003 planned CLUSTER FAILOVER', () => {
    it('finds nothing before or after, and the fingerprint tells the two apart', () => {
      const before = scan(probesFromListing(nodesFixture('003-planned-failover-before.txt')));
      const after = scan(probesFromListing(nodesFixture('003-planned-failover-after.txt')));
      expect(analyzeTopology(before)).toEqual([]);
      expect(analyzeTopology(after)).toEqual([]);
      expect(before.fingerprint).not.toBe(after.fingerprint);
      const served = after.nodes.find((n) => n.id.startsWith('05bf5255'))!;
      expect(served.role).toBe('master');
    });
  });

  describe('004 Bitnami on k3s', () => {
    const pods = (file: string) =>
      podsFromTable(fixture(`pods/${file}`), 'redis-cluster').filter((p) =>
        p.name.startsWith('ds-redis-redis-cluster-'),
      );

    it('finds nothing wrong in Redis when healthy, but every shard shares the one k3s node', () => {
      const findings = analyzeTopology(
        scan(probesFromListing(nodesFixture('004-bitnami-healthy.txt')), {
          pods: pods('004-bitnami-before.txt'),
        }),
      );
      expect(codes(findings)).toEqual(['shard-same-k8s-node', 'shard-same-k8s-node', 'shard-same-k8s-node']);
      expect(findings[0]!.summary).toContain('its only replica');
      expect(findings[0]!.summary).toContain('bastion02');
    });

    describe('after deleting the master pod ds-redis-redis-cluster-2', () => {
      const aloneInfo = parseClusterInfo(fixture('cluster-info/004-bitnami-new-pod-alone.txt'));
      if (!aloneInfo.ok) throw new Error(aloneInfo.error);
      const replaced = pods('004-bitnami-master-replaced.txt').map((p) =>
        p.ready ? p : { ...p, notReadyReason: 'Readiness probe failed: cluster_state:fail' },
      );
      const listing = nodesFixture('004-bitnami-master-failed.txt');
      const probes = probesFromListing(listing, { outcomes: { '10.42.2.79:6379': 'timeout' } });
      const newPod = aloneProbe('10.42.2.82:6379', '11439c6cb119c655887813742cb13eb8be4d3ab0', 'pod');
      newPod.info = aloneInfo.value;
      const topology = scan([...probes, newPod], { pods: replaced });
      const findings = analyzeTopology(topology);

      it('names the ghost, the orphaned master d25d71… and the restarted pod outside the cluster', () => {
        expect(only(findings, 'node-failed')[0]!.nodes).toEqual(['e64f0b9d8ca9b97ebe0ef4982542bd592cd5ee07']);
        expect(only(findings, 'master-orphaned')[0]!.nodes).toEqual([
          'd25d71a3282e47d3d12c4c7d92d3bddc712a148c',
        ]);
        const outside = only(findings, 'node-outside-cluster');
        expect(outside).toHaveLength(1);
        expect(outside[0]!.summary).toContain('ds-redis-redis-cluster-2');
        expect(only(findings, 'pod-not-in-cluster')[0]!.addrs).toEqual(['10.42.2.82:6379']);
      });

      it('explains why the pod is not ready: its readiness needs cluster_state:ok', () => {
        const notReady = only(findings, 'pod-not-ready');
        expect(notReady).toHaveLength(1);
        expect(notReady[0]!.summary).toContain('ds-redis-redis-cluster-2');
        expect(notReady[0]!.summary).toContain('cluster_state:fail');
        expect(notReady[0]!.evidence).toContain('10.42.2.82:6379 says cluster_known_nodes:1');
      });

      it('does not count the lone pod as a cluster member saying cluster_state:fail', () => {
        expect(codes(findings)).not.toContain('cluster-state-fail');
        expect(topology.nodes.map((n) => n.id)).not.toContain('11439c6cb119c655887813742cb13eb8be4d3ab0');
      });

      it('attaches pod names to the members by IP and port', () => {
        const m = topology.nodes.find((n) => n.addr === '10.42.2.77:6379')!;
        expect(m.pod?.name).toBe('ds-redis-redis-cluster-3');
        expect(topology.nodes.find((n) => n.addr === '10.42.2.79:6379')!.pod).toBeUndefined();
      });

      it('still gives the Redis picture when the Kubernetes API failed', () => {
        const noPods = analyzeTopology(
          scan([...probes, newPod], { podError: '403 Forbidden: pods is forbidden' }),
        );
        expect(only(noPods, 'k8s-api-error')[0]!.evidence).toEqual(['403 Forbidden: pods is forbidden']);
        expect(codes(noPods)).toContain('master-orphaned');
        expect(codes(noPods)).toContain('node-outside-cluster');
      });
    });

    it('after MEET, the new node is a member and d25d71… is still orphaned', () => {
      const findings = analyzeTopology(scan(probesFromListing(nodesFixture('004-bitnami-after-meet.txt'))));
      expect(codes(findings)).toEqual(['master-orphaned']);
      expect(findings[0]!.nodes).toEqual(['d25d71a3282e47d3d12c4c7d92d3bddc712a148c']);
    });

    it('finds nothing once healed', () => {
      expect(analyzeTopology(scan(probesFromListing(nodesFixture('004-bitnami-healed.txt'))))).toEqual([]);
    });

    it('in the earlier run, names the ghost 217cf5… and the orphaned master 12a06a…', () => {
      const findings = analyzeTopology(
        scan(probesFromListing(nodesFixture('004-bitnami-earlier-run-ghost.txt'))),
      );
      expect(codes(findings).sort()).toEqual(['master-orphaned', 'node-failed']);
      expect(only(findings, 'node-failed')[0]!.nodes).toEqual(['217cf57cc8a39cac12dd9d614317ad55fe4c57e4']);
      expect(only(findings, 'master-orphaned')[0]!.nodes).toEqual([
        '12a06ae7cd0ae7efd267814e28a83ff7824b8178',
      ]);
    });

    it('before add-node, names the ghost a2e336… and the orphaned master b109ed…; after, nothing', () => {
      const before = analyzeTopology(
        scan(probesFromListing(nodesFixture('004-bitnami-add-node-before.txt'))),
      );
      expect(only(before, 'node-failed')[0]!.nodes).toEqual(['a2e3366d2310533a6cab5181afa197c93a5904a3']);
      expect(only(before, 'master-orphaned')[0]!.nodes).toEqual(['b109ed74a0e639d34067d1bf78a860931d0ee941']);
      expect(
        analyzeTopology(scan(probesFromListing(nodesFixture('004-bitnami-add-node-after.txt')))),
      ).toEqual([]);
    });
  });
});
