import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/core/types.ts';
import {
  describeChange,
  diffTopologies,
  incidentFindings,
  isDegraded,
  onlySoft,
  redisIsDeciding,
  type WatchChange,
} from '../../../src/core/watch/diff.ts';
import { addrOf, id, node, outsider, THIRDS, topology } from '../plans/topology-builder.ts';

const [A, B, C, RA, RB, RC, NEW] = ['a', 'b', 'c', 'd', 'e', 'f', '9'].map(id) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

/** Three masters, one replica each, all healthy. */
function healthy() {
  return topology([
    node({ id: A, port: 7000, slots: THIRDS[0] }),
    node({ id: B, port: 7001, slots: THIRDS[1] }),
    node({ id: C, port: 7002, slots: THIRDS[2] }),
    node({ id: RA, port: 7003, role: 'replica', masterId: A }),
    node({ id: RB, port: 7004, role: 'replica', masterId: B }),
    node({ id: RC, port: 7005, role: 'replica', masterId: C }),
  ]);
}

/** Master A died; Redis promoted RA, which now serves A's slots alone; a fresh node sits outside. */
function afterFailover(opts: { outsiderUp?: boolean } = {}) {
  return topology(
    [
      node({ id: A, port: 7000, health: 'fail', reachable: false }),
      node({ id: B, port: 7001, slots: THIRDS[1] }),
      node({ id: C, port: 7002, slots: THIRDS[2] }),
      node({ id: RA, port: 7003, slots: THIRDS[0] }),
      node({ id: RB, port: 7004, role: 'replica', masterId: B }),
      node({ id: RC, port: 7005, role: 'replica', masterId: C }),
    ],
    opts.outsiderUp ? [outsider(7006, NEW)] : [],
  );
}

const kinds = (changes: WatchChange[]) => changes.map((c) => c.kind).sort();
const finding = (code: string, severity: Finding['severity'] = 'warning'): Finding => ({
  code,
  severity,
  summary: code,
  nodes: [],
  evidence: [],
});

describe('diffTopologies', () => {
  describe('when nothing changed', () => {
    it('reports nothing', () => {
      expect(diffTopologies(healthy(), healthy())).toEqual([]);
    });
  });

  describe('when a master died and Redis promoted its replica', () => {
    const changes = diffTopologies(healthy(), afterFailover());

    it('names the failed master, the promotion and the master left without a replica', () => {
      expect(kinds(changes)).toEqual(['failover', 'master-without-replicas', 'node-failed']);
      const failed = changes.find((c) => c.kind === 'node-failed');
      expect(failed).toMatchObject({ nodeId: A, addr: addrOf(7000), role: 'master', health: 'fail' });
      const failover = changes.find((c) => c.kind === 'failover');
      expect(failover).toMatchObject({
        newMasterId: RA,
        newMasterAddr: addrOf(7003),
        formerMasterId: A,
        formerMasterAddr: addrOf(7000),
      });
      expect(changes.find((c) => c.kind === 'master-without-replicas')).toMatchObject({ nodeId: RA });
    });

    it('says who replaced whom in words, and when it was seen', () => {
      const failover = changes.find((c) => c.kind === 'failover');
      if (!failover) throw new Error('no failover');
      const text = describeChange(failover);
      expect(text).toContain(`replica ${addrOf(7003)} (dddddddd)`);
      expect(text).toContain(`in place of ${addrOf(7000)} (aaaaaaaa)`);
      expect(text).toMatch(/seen at \d\d:\d\d:\d\d UTC/);
      const failed = changes.find((c) => c.kind === 'node-failed');
      expect(failed && describeChange(failed)).toBe(`master ${addrOf(7000)} (aaaaaaaa) is failed`);
    });

    it('gives every change a stable key, so a persisting condition is announced once', () => {
      const again = diffTopologies(healthy(), afterFailover());
      expect(again.map((c) => c.key)).toEqual(changes.map((c) => c.key));
      expect(new Set(changes.map((c) => c.key)).size).toBe(changes.length);
    });

    it('reports nothing more on the next scan of the same picture', () => {
      expect(diffTopologies(afterFailover(), afterFailover())).toEqual([]);
    });
  });

  describe('when a restarted pod comes up outside the cluster', () => {
    it('reports the outsider once, with its address', () => {
      const changes = diffTopologies(afterFailover(), afterFailover({ outsiderUp: true }));
      expect(changes).toEqual([{ kind: 'outsider-appeared', key: `outsider:${NEW}`, addr: addrOf(7006) }]);
      expect(describeChange(changes[0] as WatchChange)).toBe(
        `${addrOf(7006)} is alive but outside the cluster`,
      );
      expect(
        diffTopologies(afterFailover({ outsiderUp: true }), afterFailover({ outsiderUp: true })),
      ).toEqual([]);
    });
  });

  describe('when the repair forgets the dead node and joins the new one', () => {
    it('reports the removal and the newcomer', () => {
      const healed = topology([
        node({ id: B, port: 7001, slots: THIRDS[1] }),
        node({ id: C, port: 7002, slots: THIRDS[2] }),
        node({ id: RA, port: 7003, slots: THIRDS[0] }),
        node({ id: RB, port: 7004, role: 'replica', masterId: B }),
        node({ id: RC, port: 7005, role: 'replica', masterId: C }),
        node({ id: NEW, port: 7006, role: 'replica', masterId: RA }),
      ]);
      const changes = diffTopologies(afterFailover({ outsiderUp: true }), healed);
      expect(kinds(changes)).toEqual(['node-appeared', 'node-removed']);
      expect(changes.find((c) => c.kind === 'node-removed')).toMatchObject({ nodeId: A });
      expect(changes.find((c) => c.kind === 'node-appeared')).toMatchObject({ nodeId: NEW });
    });
  });

  describe('when a node recovers', () => {
    it('reports it healthy again', () => {
      const frozen = healthy();
      frozen.nodes[4] = node({ id: RB, port: 7004, role: 'replica', masterId: B, health: 'pfail' });
      expect(kinds(diffTopologies(healthy(), frozen))).toEqual(['master-without-replicas', 'node-failed']);
      const back = diffTopologies(frozen, healthy());
      expect(back).toEqual([
        { kind: 'node-recovered', key: `recovered:${RB}`, nodeId: RB, addr: addrOf(7004) },
      ]);
      const failed = diffTopologies(healthy(), frozen).find((c) => c.kind === 'node-failed');
      expect(failed && describeChange(failed)).toContain('suspected down (fail?)');
    });
  });

  describe('when a master with no replica dies', () => {
    it('reports its slots as lost, and as served again when they come back', () => {
      const noReplicas = () =>
        topology([
          node({ id: A, port: 7000, slots: THIRDS[0] }),
          node({ id: B, port: 7001, slots: THIRDS[1] }),
          node({ id: C, port: 7002, slots: THIRDS[2] }),
        ]);
      const dead = noReplicas();
      dead.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'fail', reachable: false });
      const lost = diffTopologies(noReplicas(), dead);
      expect(lost.find((c) => c.kind === 'slots-lost')).toMatchObject({ slots: THIRDS[0] });
      expect(describeChange(lost.find((c) => c.kind === 'slots-lost') as WatchChange)).toBe(
        'slots 0-5460 are no longer served',
      );
      const back = diffTopologies(dead, noReplicas());
      expect(back.find((c) => c.kind === 'slots-recovered')).toMatchObject({ slots: THIRDS[0] });
    });
  });

  describe('with no earlier scan (the watcher just started, or took over)', () => {
    it('reports every problem it sees, but no appearance and no failover it cannot know of', () => {
      const changes = diffTopologies(null, afterFailover({ outsiderUp: true }));
      expect(kinds(changes)).toEqual(['master-without-replicas', 'node-failed', 'outsider-appeared']);
    });

    it('reports nothing for a healthy cluster, nor for a cluster built without replicas', () => {
      expect(diffTopologies(null, healthy())).toEqual([]);
      const mastersOnly = topology([
        node({ id: A, port: 7000, slots: [{ start: 0, end: 8191 }] }),
        node({ id: B, port: 7001, slots: [{ start: 8192, end: 16383 }] }),
      ]);
      expect(diffTopologies(null, mastersOnly)).toEqual([]);
    });
  });

  describe('while a MEET is in flight', () => {
    it('ignores the handshake entry (a random temporary id)', () => {
      const meeting = healthy();
      meeting.nodes.push(node({ id: NEW, port: 7006, role: 'master', health: 'handshake' }));
      expect(diffTopologies(healthy(), meeting)).toEqual([]);
    });
  });
});

describe('isDegraded', () => {
  it('is false for standing risks a cluster may have from the start (no persistence, shards on one k8s node)', () => {
    expect(isDegraded([finding('master-no-persistence'), finding('shard-same-k8s-node')])).toBe(false);
  });

  it('is false for info findings', () => {
    expect(isDegraded([finding('config-epoch-disagreement', 'info')])).toBe(false);
  });

  it('is true for failures, orphans and outsiders', () => {
    expect(isDegraded([finding('node-failed')])).toBe(true);
    expect(isDegraded([finding('master-orphaned')])).toBe(true);
    expect(isDegraded([finding('node-outside-cluster')])).toBe(true);
    expect(
      incidentFindings([finding('master-no-persistence'), finding('node-failed')]).map((f) => f.code),
    ).toEqual(['node-failed']);
  });
});

describe('incidentFindings with the topology', () => {
  it('does not count masters without a replica in a cluster built without replicas', () => {
    const mastersOnly = topology([
      node({ id: A, port: 7000, slots: [{ start: 0, end: 8191 }] }),
      node({ id: B, port: 7001, slots: [{ start: 8192, end: 16383 }] }),
    ]);
    expect(isDegraded([finding('master-orphaned')], mastersOnly)).toBe(false);
  });

  it('counts a master left without a replica where replicas exist', () => {
    expect(isDegraded([finding('master-orphaned')], afterFailover())).toBe(true);
  });
});

describe('onlySoft', () => {
  it('is true while every problem may be a blip (unreachable, suspected)', () => {
    expect(onlySoft([finding('node-unreachable', 'critical'), finding('node-pfail')])).toBe(true);
    expect(onlySoft([finding('node-pfail'), finding('master-no-persistence')])).toBe(true);
  });
  it('is false once a failure is confirmed', () => {
    expect(onlySoft([finding('node-pfail'), finding('node-failed')])).toBe(false);
  });
});

describe('redisIsDeciding', () => {
  it('is true while a node is only suspected (fail?)', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'pfail', reachable: false });
    expect(redisIsDeciding(t, [])).toBe(true);
  });

  it('is true while a failed master still owns slots and has a live replica that may take over', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'fail', reachable: false });
    expect(redisIsDeciding(t, [])).toBe(true);
  });

  it('is true while nodes disagree about who owns slots or who is master (gossip still settling)', () => {
    expect(redisIsDeciding(afterFailover(), [finding('slot-owner-disagreement')])).toBe(true);
    expect(redisIsDeciding(afterFailover(), [finding('role-disagreement')])).toBe(true);
  });

  it('is true while a master that owns slots does not answer us, before the cluster flags it', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'unreachable', reachable: false });
    expect(redisIsDeciding(t, [])).toBe(true);
  });

  it('is false for a master that owns slots, is down and has no replica: nothing will save it by itself', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'fail', reachable: false });
    t.nodes.splice(3, 1);
    expect(redisIsDeciding(t, [])).toBe(false);
  });

  it('is false when that replica cannot fail over by itself', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'fail', reachable: false });
    expect(redisIsDeciding(t, [{ ...finding('replica-cannot-failover', 'critical'), nodes: [RA] }])).toBe(
      false,
    );
    t.nodes[3] = node({ id: RA, port: 7003, role: 'replica', masterId: A, flags: ['slave', 'nofailover'] });
    expect(redisIsDeciding(t, [])).toBe(false);
  });

  it('is false when most masters are gone: no majority can flag a failure or elect a replica', () => {
    const t = healthy();
    t.nodes[0] = node({ id: A, port: 7000, slots: THIRDS[0], health: 'pfail', reachable: false });
    t.nodes[1] = node({ id: B, port: 7001, slots: THIRDS[1], health: 'pfail', reachable: false });
    expect(redisIsDeciding(t, [])).toBe(false);
  });

  it('is false once the replica was promoted', () => {
    expect(redisIsDeciding(afterFailover(), [])).toBe(false);
  });
});
