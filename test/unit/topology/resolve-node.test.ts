import { describe, expect, it } from 'vitest';
import { buildTopology, editDistance, resolveNodeRef } from '../../../src/core/topology/index.ts';
import type { PodInfo } from '../../../src/core/types.ts';
import { aloneProbe, endpointsFromTable, fixture, nodesFixture, probesFromListing } from './helpers.ts';

const ORPHAN = '3d0c99018c2df217f7b03e65a90063c91bef6e67';
const NEW_NODE = '4205c956cbb67e5155931c5dfa9377d903899226';

/** Write-up 000 with its endpoints as pods, the new pod answering alone. */
function rcc() {
  const pods: PodInfo[] = endpointsFromTable(fixture('endpoints/000-rcc-endpoints.txt')).map(
    ({ ip, name }) => ({
      name,
      namespace: 'redis',
      ip,
      phase: 'Running',
      ready: true,
      restarts: 0,
      nodeName: null,
      port: 6379,
    }),
  );
  pods.push({ ...pods[0]!, name: 'redis-cluster-6-pending', ip: null, phase: 'Pending' });
  const probes = probesFromListing(nodesFixture('000-rcc-before-meet.txt'));
  probes.push(aloneProbe('172.31.182.46:6379', NEW_NODE, 'pod'));
  return buildTopology('rcc', probes, { takenAt: 1, pods });
}

describe('resolveNodeRef', () => {
  const topology = rcc();

  describe('finds a member', () => {
    it('by its full id', () => {
      const r = resolveNodeRef(topology, ORPHAN);
      expect(r.ok && r.match).toMatchObject({ kind: 'member', id: ORPHAN, addr: '172.27.36.237:6379' });
    });

    it('by a unique prefix of 6 characters, in any case', () => {
      const r = resolveNodeRef(topology, '3D0C99');
      expect(r.ok && r.match.id).toBe(ORPHAN);
    });

    it('by host:port', () => {
      const r = resolveNodeRef(topology, '172.27.36.237:6379');
      expect(r.ok && r.match.id).toBe(ORPHAN);
    });

    it('by a bare host when one node lives there', () => {
      const r = resolveNodeRef(topology, '172.27.36.237');
      expect(r.ok && r.match.id).toBe(ORPHAN);
    });

    it('by pod name, with the pod attached', () => {
      const r = resolveNodeRef(topology, 'redis-cluster-6-8tz6g');
      expect(r.ok && r.match).toMatchObject({ kind: 'member', id: ORPHAN });
      expect(r.ok && r.match.pod?.name).toBe('redis-cluster-6-8tz6g');
    });

    it('a failed ghost by its id', () => {
      const r = resolveNodeRef(topology, 'deadbeef0000');
      expect(r.ok && r.match.kind === 'member' && r.match.node.health).toBe('fail');
    });
  });

  describe('finds a live node outside the cluster', () => {
    it('by pod name', () => {
      const r = resolveNodeRef(topology, 'redis-cluster-6-7s2gd');
      expect(r.ok && r.match).toMatchObject({ kind: 'outsider', id: NEW_NODE, addr: '172.31.182.46:6379' });
    });

    it('by address and by id prefix', () => {
      const byAddr = resolveNodeRef(topology, '172.31.182.46:6379');
      const byId = resolveNodeRef(topology, '4205c956');
      expect(byAddr.ok && byAddr.match.kind).toBe('outsider');
      expect(byId.ok && byId.match.kind).toBe('outsider');
    });
  });

  it('finds a pod that is neither member nor answering', () => {
    const r = resolveNodeRef(topology, 'redis-cluster-6-pending');
    expect(r.ok && r.match).toMatchObject({ kind: 'pod', id: null, addr: null });
  });

  describe('refuses', () => {
    it('an id prefix shorter than 6 characters, suggesting a longer one', () => {
      const r = resolveNodeRef(topology, '3d0c9');
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain('at least 6');
      expect(!r.ok && r.suggestions).toEqual([ORPHAN.slice(0, 12)]);
    });

    it('an ambiguous prefix, listing the candidates', () => {
      // No two ids of the write-ups share 6 characters: add two members that do.
      const a = '7c01790000000000000000000000000000000001';
      const b = '7c01790000000000000000000000000000000002';
      const probes = probesFromListing(nodesFixture('002-three-masters-recovered.txt'));
      const t = buildTopology('x', probes, { takenAt: 1 });
      t.nodes.push(
        { ...t.nodes[0]!, id: a, addr: '127.0.0.1:7101' },
        { ...t.nodes[0]!, id: b, addr: '127.0.0.1:7102' },
      );
      const r = resolveNodeRef(t, '7c0179');
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain('matches 2 node ids');
      expect(!r.ok && r.suggestions.map((s) => s.slice(0, 12))).toEqual([a.slice(0, 12), b.slice(0, 12)]);
    });

    it('a host with several ports, listing them', () => {
      const t = buildTopology('x', probesFromListing(nodesFixture('002-three-masters-recovered.txt')), {
        takenAt: 1,
      });
      const r = resolveNodeRef(t, '127.0.0.1');
      expect(!r.ok && r.suggestions).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
    });

    it('an unknown name, suggesting the closest pod, address or id', () => {
      const pod = resolveNodeRef(topology, 'redis-cluster-6-7s2gx');
      expect(!pod.ok && pod.suggestions[0]).toBe('redis-cluster-6-7s2gd');
      const addr = resolveNodeRef(topology, '172.27.36.273:6379');
      expect(!addr.ok && addr.suggestions[0]).toBe('172.27.36.237:6379');
      const id = resolveNodeRef(topology, '3d0c98018c2d');
      expect(!id.ok && id.suggestions[0]).toBe('3d0c99018c2d');
      expect(!id.ok && id.reason).toContain('cluster rcc');
    });

    it('an empty reference', () => {
      expect(resolveNodeRef(topology, '  ')).toEqual({ ok: false, reason: 'no node given', suggestions: [] });
    });
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
