import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeTopology, buildTopology, parseClusterNodes } from '../../../src/core/topology/index.ts';
import type { NodeFlag, NodeView, Probe } from '../../../src/core/types.ts';
import { generateClusterNodes } from '../../fixtures/generate-cluster-nodes.ts';

const hexId = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 });
const octet = fc.integer({ min: 0, max: 255 });
const port = fc.integer({ min: 1, max: 55535 });
const stateFlag = fc.subarray<NodeFlag>(['fail?', 'fail', 'handshake', 'nofailover']);
const slotRange = fc
  .tuple(fc.integer({ min: 0, max: 16383 }), fc.integer({ min: 0, max: 100 }))
  .map(([start, len]) => ({ start, end: Math.min(16383, start + len) }));

/** Any line Redis could print, as data. */
const nodeView: fc.Arbitrary<NodeView> = fc
  .record({
    id: hexId,
    ip: fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
    port,
    hostname: fc.option(fc.constantFrom('redis-0.redis', 'node-a'), { nil: undefined }),
    replicaOf: fc.option(hexId, { nil: undefined }),
    myself: fc.boolean(),
    state: stateFlag,
    pingSent: fc.nat(),
    pongRecv: fc.nat(),
    configEpoch: fc.nat(),
    link: fc.constantFrom('connected' as const, 'disconnected' as const),
    slots: fc.array(slotRange, { maxLength: 4 }),
    migrating: fc.array(fc.record({ slot: fc.integer({ min: 0, max: 16383 }), nodeId: hexId }), {
      maxLength: 2,
    }),
    importing: fc.array(fc.record({ slot: fc.integer({ min: 0, max: 16383 }), nodeId: hexId }), {
      maxLength: 2,
    }),
  })
  .map((r): NodeView => {
    const view: NodeView = {
      id: r.id,
      addr: `${r.ip}:${r.port}`,
      host: r.ip,
      port: r.port,
      cport: r.port + 10000,
      flags: [...(r.myself ? (['myself'] as const) : []), r.replicaOf ? 'slave' : 'master', ...r.state],
      masterId: r.replicaOf ?? null,
      pingSent: r.pingSent,
      pongRecv: r.pongRecv,
      configEpoch: r.configEpoch,
      link: r.link,
      slots: r.replicaOf ? [] : r.slots,
      migrating: r.migrating,
      importing: r.importing,
    };
    if (r.hostname) view.hostname = r.hostname;
    return view;
  });

/** The line Redis prints for a view. */
function formatLine(v: NodeView): string {
  const addr = `${v.host}:${v.port}@${v.cport}${v.hostname ? `,${v.hostname}` : ''}`;
  const slots = [
    ...v.slots.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)),
    ...v.migrating.map((m) => `[${m.slot}->-${m.nodeId}]`),
    ...v.importing.map((m) => `[${m.slot}-<-${m.nodeId}]`),
  ];
  return [
    v.id,
    addr,
    v.flags.join(','),
    v.masterId ?? '-',
    v.pingSent,
    v.pongRecv,
    v.configEpoch,
    v.link,
    ...slots,
  ].join(' ');
}

describe('parseClusterNodes, for any listing Redis could print', () => {
  it('reads back exactly the lines that were printed', () => {
    fc.assert(
      fc.property(fc.array(nodeView, { maxLength: 8 }), (views) => {
        const r = parseClusterNodes(views.map(formatLine).join('\n'));
        expect(r.ok && r.value).toEqual(views);
      }),
    );
  });

  it('refuses a listing with one line cut short, naming that line', () => {
    fc.assert(
      fc.property(fc.array(nodeView, { minLength: 1, maxLength: 5 }), fc.nat(), (views, pick) => {
        const lines = views.map(formatLine);
        const bad = pick % lines.length;
        lines[bad] = lines[bad]!.split(' ').slice(0, 5).join(' ');
        const r = parseClusterNodes(lines.join('\n'));
        expect(!r.ok && r.error).toContain(`line ${bad + 1}`);
      }),
    );
  });
});

describe('a generated 1,000-node cluster', () => {
  it('parses and yields one ghost and one orphaned master per failed master', () => {
    const text = generateClusterNodes({ masters: 500, replicasPerMaster: 1, failedMasters: 3 });
    const r = parseClusterNodes(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toHaveLength(1000);
    const me = r.value.find((v) => v.flags.includes('myself'))!;
    const probe: Probe = {
      addr: me.addr!,
      source: 'seed',
      outcome: 'ok',
      ms: 1,
      clusterEnabled: true,
      myId: me.id,
      nodes: r.value,
    };
    const topology = buildTopology('big', [probe], { takenAt: 1 });
    expect(topology.nodes).toHaveLength(1000);
    const findings = analyzeTopology(topology);
    expect(findings.filter((f) => f.code === 'node-failed')).toHaveLength(3);
    expect(findings.filter((f) => f.code === 'master-orphaned')).toHaveLength(3);
    expect(findings.filter((f) => f.code === 'slots-uncovered')).toEqual([]);
  });
});
