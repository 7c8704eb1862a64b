import { describe, expect, it } from 'vitest';
import { buildTopology, parseClusterNodes } from '../../../src/core/topology/index.ts';
import type { NodeView, Probe } from '../../../src/core/types.ts';
import { aloneProbe, asSeenBy, clusterInfo, nodesFixture, probesFromListing } from './helpers.ts';

const M1 = '1111111111111111111111111111111111111111';
const M2 = '2222222222222222222222222222222222222222';
const R1 = '3333333333333333333333333333333333333333';
const R2 = '4444444444444444444444444444444444444444';

function views(text: string): NodeView[] {
  const r = parseClusterNodes(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Two masters with one replica each, on 127.0.0.1:7001..7004. */
const healthy = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 slave ${M2} 0 0 2 connected
`);

function answer(addr: string, listing: NodeView[], id: string): Probe {
  return {
    addr,
    source: 'gossip',
    outcome: 'ok',
    ms: 1,
    clusterEnabled: true,
    myId: id,
    nodes: asSeenBy(listing, id),
    info: clusterInfo(),
  };
}

const build = (probes: Probe[]) => buildTopology('test', probes, { takenAt: 42 });

describe('buildTopology', () => {
  describe('when every node answers and agrees', () => {
    const t = build(probesFromListing(healthy));

    it('lists every member once, sorted by address, with roles and masters', () => {
      expect(t.mode).toBe('cluster');
      expect(t.nodes.map((n) => [n.addr, n.role, n.masterId])).toEqual([
        ['127.0.0.1:7001', 'master', null],
        ['127.0.0.1:7002', 'master', null],
        ['127.0.0.1:7003', 'replica', M1],
        ['127.0.0.1:7004', 'replica', M2],
      ]);
      expect(t.nodes.every((n) => n.health === 'ok' && n.reachable)).toBe(true);
      expect(t.outsiders).toEqual([]);
      expect(t.disagreements).toEqual([]);
      expect(t.takenAt).toBe(42);
    });

    it('keeps each node its own CLUSTER INFO', () => {
      expect(t.nodes[0]!.info?.state).toBe('ok');
    });

    it('drops the observer-relative myself flag from the merged view', () => {
      expect(t.nodes.some((n) => n.flags.includes('myself'))).toBe(false);
    });
  });

  describe('fingerprint', () => {
    it('does not depend on probe order or timings', () => {
      const a = build(probesFromListing(healthy));
      const b = build(
        probesFromListing(healthy)
          .reverse()
          .map((p) => ({ ...p, ms: p.ms + 17 })),
      );
      expect(a.fingerprint).toBe(b.fingerprint);
      expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    });

    it('changes when a node fails, a role changes or an outsider appears', () => {
      const base = build(probesFromListing(healthy)).fingerprint;
      const failedListing = healthy.map((v) =>
        v.id === R2 ? { ...v, flags: [...v.flags, 'fail' as const] } : v,
      );
      expect(build(probesFromListing(failedListing)).fingerprint).not.toBe(base);
      const swapped = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
${M2} 127.0.0.1:7002@17002 slave ${R2} 0 0 3 connected
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 master - 0 0 3 connected 8192-16383
`);
      expect(build(probesFromListing(swapped)).fingerprint).not.toBe(base);
      const withStranger = [...probesFromListing(healthy), aloneProbe('127.0.0.1:7009', 'f'.repeat(40))];
      expect(build(withStranger).fingerprint).not.toBe(base);
    });
  });

  describe("a node's own line wins when we reached it", () => {
    it('takes its slots from itself even when the others still show the old ones', () => {
      // M1 just took slot 0-99 from M2 (stale in everyone else's view).
      const own = views(`
${M1} 127.0.0.1:7001@17001 myself,master - 0 0 5 connected 0-8191
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383
`);
      const others = healthy;
      const ownM2 = views(`
${M2} 127.0.0.1:7002@17002 myself,master - 0 0 6 connected 100-8191
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-99 8192-16383
`);
      const t = build([
        answer('127.0.0.1:7001', own, M1),
        answer('127.0.0.1:7002', ownM2, M2),
        answer('127.0.0.1:7003', others, R1),
      ]);
      expect(t.nodes.find((n) => n.id === M1)!.configEpoch).toBe(5);
      expect(t.nodes.find((n) => n.id === M2)!.slots).toEqual([{ start: 100, end: 8191 }]);
    });

    it('still merges when an observer that alone listed some nodes is dropped as forgotten', () => {
      const partial = views(`${M1} 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-16383`);
      const t = build([answer('127.0.0.1:7001', partial, M1), answer('127.0.0.1:7003', healthy, R1)]);
      expect(t.nodes.map((n) => n.id)).toEqual([M1]);
      expect(t.outsiders.map((p) => p.addr)).toEqual(['127.0.0.1:7003']);
    });

    it('otherwise takes the view most observers share', () => {
      const stale = healthy.map((v) => (v.id === R2 ? { ...v, masterId: M1 } : v));
      const t = build([
        answer('127.0.0.1:7001', healthy, M1),
        answer('127.0.0.1:7002', healthy, M2),
        answer('127.0.0.1:7003', stale, R1),
        { addr: '127.0.0.1:7004', source: 'gossip', outcome: 'timeout', ms: 1000, error: 'timed out' },
      ]);
      expect(t.nodes.find((n) => n.id === R2)!.masterId).toBe(M2);
    });
  });

  describe('disagreements', () => {
    it('says who claims which owner for the contested slots', () => {
      const claim = views(`
${M1} 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191 8192-8200
${M2} 127.0.0.1:7002@17002 master - 0 0 2 connected 8201-16383
${R1} 127.0.0.1:7003@17003 slave ${M1} 0 0 1 connected
${R2} 127.0.0.1:7004@17004 slave ${M2} 0 0 2 connected
`);
      const t = build([
        answer('127.0.0.1:7001', claim, M1),
        answer('127.0.0.1:7002', healthy, M2),
        answer('127.0.0.1:7003', healthy, R1),
        answer('127.0.0.1:7004', healthy, R2),
      ]);
      const slots = t.disagreements.filter((d) => d.kind === 'slots');
      expect(slots).toHaveLength(1);
      expect(slots[0]!.subject).toBe('owner of slots 8192-8200');
      expect(slots[0]!.slots).toEqual([{ start: 8192, end: 8200 }]);
      expect(slots[0]!.views).toContainEqual({ observer: '127.0.0.1:7001', says: M1.slice(0, 8) });
      expect(slots[0]!.views).toContainEqual({ observer: '127.0.0.1:7002', says: M2.slice(0, 8) });
    });

    it('records role and config epoch disagreements per node', () => {
      const other = healthy.map((v) =>
        v.id === R2 ? { ...v, flags: ['master' as const], masterId: null, configEpoch: 7 } : v,
      );
      const t = build([answer('127.0.0.1:7001', healthy, M1), answer('127.0.0.1:7002', other, M2)]);
      const role = t.disagreements.find((d) => d.kind === 'role')!;
      expect(role.nodeId).toBe(R2);
      expect(role.views).toEqual([
        { observer: '127.0.0.1:7001', says: `replica of ${M2.slice(0, 8)}` },
        { observer: '127.0.0.1:7002', says: 'master' },
      ]);
      const epoch = t.disagreements.find((d) => d.kind === 'epoch')!;
      expect(epoch.views.map((v) => v.says)).toEqual(['2', '7']);
    });
  });

  describe('health', () => {
    it('is fail when an observer says fail, even though our probe also failed', () => {
      const listing = healthy.map((v) =>
        v.id === M2 ? { ...v, flags: ['master' as const, 'fail' as const] } : v,
      );
      const t = build(probesFromListing(listing));
      const m2 = t.nodes.find((n) => n.id === M2)!;
      expect(m2.health).toBe('fail');
      expect(m2.reachable).toBe(false);
      expect(m2.failReportedBy.sort()).toEqual([M1, R1, R2]);
    });

    it('is pfail when observers only suspect it', () => {
      const listing = healthy.map((v) =>
        v.id === R1 ? { ...v, flags: ['slave' as const, 'fail?' as const] } : v,
      );
      const t = build(probesFromListing(listing, { outcomes: { '127.0.0.1:7003': 'timeout' } }));
      expect(t.nodes.find((n) => n.id === R1)!.pfailReportedBy.sort()).toEqual([M1, M2, R2]);
      expect(t.nodes.find((n) => n.id === R1)!.health).toBe('pfail');
    });

    it('is unreachable when our probe failed but the cluster has not noticed', () => {
      const t = build(probesFromListing(healthy, { outcomes: { '127.0.0.1:7004': 'refused' } }));
      expect(t.nodes.find((n) => n.id === R2)).toMatchObject({ health: 'unreachable', reachable: false });
    });

    it('is unreachable when its address now answers as another node', () => {
      const t = build([
        ...probesFromListing(healthy).slice(0, 3),
        aloneProbe('127.0.0.1:7004', 'e'.repeat(40)),
      ]);
      expect(t.nodes.find((n) => n.id === R2)!.health).toBe('unreachable');
      expect(t.outsiders.map((p) => p.myId)).toEqual(['e'.repeat(40)]);
    });

    it('is reachable when it answered as itself though its CLUSTER NODES could not be read', () => {
      const probes = probesFromListing(healthy);
      const r2 = probes.findIndex((p) => p.addr === '127.0.0.1:7004');
      probes[r2] = { ...probes[r2]!, nodes: undefined, info: clusterInfo({ state: 'fail' }) };
      const node = build(probes).nodes.find((n) => n.id === R2)!;
      expect(node).toMatchObject({ health: 'ok', reachable: true });
      expect(node.info?.state).toBe('fail');
    });

    it('is handshake or noaddr from the flags', () => {
      const hs = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
      const listing = views(`
${M1} 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-16383
${hs} 127.0.0.1:7009@17009 handshake - 0 0 0 connected
${R1} :0@0 slave,noaddr ${M1} 0 0 1 disconnected
`);
      const t = build([answer('127.0.0.1:7001', listing, M1)]);
      expect(t.nodes.find((n) => n.id === hs)!.health).toBe('handshake');
      expect(t.nodes.find((n) => n.id === R1)).toMatchObject({ health: 'noaddr', addr: null });
    });
  });

  describe('outsiders', () => {
    it('finds the restarted pod of write-up 000 that knows only itself', () => {
      const probes = probesFromListing(nodesFixture('000-rcc-before-meet.txt'));
      probes.push(aloneProbe('172.31.182.46:6379', '4205c956cbb67e5155931c5dfa9377d903899226', 'pod'));
      const t = build(probes);
      expect(t.outsiders.map((p) => p.addr)).toEqual(['172.31.182.46:6379']);
      expect(t.nodes).toHaveLength(18);
    });

    it('keeps the cluster when only one member and one lone node answered', () => {
      const t = build([answer('127.0.0.1:7001', healthy, M1), aloneProbe('127.0.0.1:7009', 'f'.repeat(40))]);
      expect(t.nodes).toHaveLength(4);
      expect(t.outsiders.map((p) => p.addr)).toEqual(['127.0.0.1:7009']);
    });

    it('names a forgotten node that still lists the cluster, since no member lists it', () => {
      const ghost = 'ab'.repeat(20);
      const ghostView = views(`${ghost} 127.0.0.1:7005@17005 myself,master - 0 0 0 connected`);
      const t = build([
        ...probesFromListing(healthy),
        answer('127.0.0.1:7005', [...ghostView, ...asSeenBy(healthy, '')], ghost),
      ]);
      expect(t.nodes.map((n) => n.id)).not.toContain(ghost);
      expect(t.outsiders.map((p) => p.addr)).toEqual(['127.0.0.1:7005']);
    });

    it('names an answering node without cluster mode', () => {
      const t = build([
        ...probesFromListing(healthy),
        { addr: '127.0.0.1:6379', source: 'pod', outcome: 'ok', ms: 1, clusterEnabled: false },
      ]);
      expect(t.outsiders.map((p) => p.addr)).toEqual(['127.0.0.1:6379']);
    });
  });

  describe('when no node has cluster mode on', () => {
    it('is standalone with no members', () => {
      const t = build([
        { addr: '127.0.0.1:6379', source: 'seed', outcome: 'ok', ms: 1, clusterEnabled: false },
        { addr: '127.0.0.1:6380', source: 'seed', outcome: 'refused', ms: 1 },
      ]);
      expect(t.mode).toBe('standalone');
      expect(t.nodes).toEqual([]);
      expect(t.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    });
  });

  describe('when nothing answers', () => {
    it('is a cluster with no members, and keeps every probe with its outcome', () => {
      const probes: Probe[] = [{ addr: '127.0.0.1:7001', source: 'seed', outcome: 'timeout', ms: 1000 }];
      const t = build(probes);
      expect(t.mode).toBe('cluster');
      expect(t.nodes).toEqual([]);
      expect(t.probes).toEqual(probes);
    });
  });

  describe('pods', () => {
    it('attaches a pod to the member at its IP and port, and keeps the pods and the API error', () => {
      const pod = {
        name: 'redis-1',
        namespace: 'redis',
        ip: '127.0.0.1',
        phase: 'Running',
        ready: true,
        restarts: 0,
        nodeName: 'k8s-a',
        port: 7002,
      };
      const t = buildTopology('test', probesFromListing(healthy), {
        takenAt: 1,
        pods: [pod],
        podError: 'timeout',
      });
      expect(t.nodes.find((n) => n.id === M2)!.pod).toEqual(pod);
      expect(t.nodes.find((n) => n.id === M1)!.pod).toBeUndefined();
      expect(t.pods).toEqual([pod]);
      expect(t.podError).toBe('timeout');
    });
  });
});
