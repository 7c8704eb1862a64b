/**
 * Issue 14, part 1: every pod restarted at once, each at a new IP, with its volume (AOF, nodes.conf).
 * Real redis-server processes, each "pod" on its own loopback IP sharing one port; the composed app
 * (chat service, plan store, BullMQ worker on a real control Redis); `/redis diagnose` proposes the
 * re-introduction, a second person approves, and afterwards the cluster is ok at the new addresses with
 * every key, every id and every replica link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import type { ComposedApp } from '../../src/compose.ts';
import { type ClusterStandIn, startK8sStandInForCluster } from '../support/k8s-stand-in.ts';
import { memoryChat } from '../support/memory-chat.ts';
import { type LocalNode, type LocalRedis, startRedis } from '../support/redis-cluster.ts';
import {
  approveAndWait,
  composeMedic,
  diagnose,
  idsAndAddressProblems,
  type PodCluster,
  restartAtNewIps,
  startPodCluster,
  waitClusterDown,
} from './new-ip-support.ts';
import { missingKeys, waitHealthy, waitReplicasCaughtUp, writeKeys } from './plans-support.ts';

const hostOf = (addr: string) => addr.slice(0, addr.lastIndexOf(':'));

/** Without Kubernetes: REDIS_CLUSTER_NODES lists the pods' new addresses. */
const newSeeds = (name: string) => (pc: PodCluster) => ({
  REDIS_CLUSTER_NODES: pc.newHosts.map((h) => `${h}:${pc.cluster.nodes[0]!.port}`).join(','),
  CLUSTER_NAME: name,
});

/** What a user checks afterwards: healthy at the new addresses, every id kept, every key readable. */
async function expectWhole(s: { pc: PodCluster; written: Map<string, string> }): Promise<void> {
  await waitHealthy(s.pc.cluster, 15_000);
  expect(await idsAndAddressProblems(s.pc)).toEqual([]);
  expect(await missingKeys(s.pc.cluster, s.written)).toEqual([]);
}

/** The plan sends nothing that drops data or ids; approved, it leaves the cluster whole. Returns the thread. */
async function approveAndExpectWhole(
  s: { app: ComposedApp; chat: ReturnType<typeof memoryChat>; pc: PodCluster; written: Map<string, string> },
  plan: { ts: string; id: string; text: string },
): Promise<string> {
  expect(plan.text).not.toMatch(/CLUSTER (FORGET|RESET)|FLUSHALL|FLUSHDB/);
  const thread = await approveAndWait(s.app, s.chat, plan);
  await expectWhole(s);
  return thread;
}

/** One scenario: a pod cluster with keys, the app composed by `env`, torn down after the file. */
function scenario(env: (pc: PodCluster) => NodeJS.ProcessEnv, k8s: boolean) {
  const s = {} as {
    pc: PodCluster;
    control: LocalRedis;
    app: ComposedApp;
    standIn?: ClusterStandIn;
    written: Map<string, string>;
    oldAddrs: string[];
    chat: ReturnType<typeof memoryChat>;
  };
  beforeAll(async () => {
    s.chat = memoryChat();
    s.control = await startRedis();
    s.pc = await startPodCluster();
    s.oldAddrs = s.pc.cluster.nodes.map((n) => n.addr);
    s.written = await writeKeys(s.pc.cluster, 300);
    await waitReplicasCaughtUp(s.pc.cluster);
    if (k8s) s.standIn = await startK8sStandInForCluster(s.pc.cluster, { namespace: 'redis' });
    s.app = await composeMedic({ CONTROL_REDIS_URL: s.control.url, ...env(s.pc) }, s.chat, {
      ...(s.standIn
        ? {
            podApi: createPodApi(loadKubeConfig({ KUBECONFIG: s.standIn.kubeconfigPath }), {
              timeoutMs: 1000,
            }),
          }
        : {}),
    });
    await s.app.chatService.start();
  });
  afterAll(async () => {
    await s.app?.close();
    await s.standIn?.close();
    await s.pc?.cluster.stop();
    await s.control?.stop();
  });
  return s;
}

describe('every pod restarted at once at a new IP, pods listed by the Kubernetes API', () => {
  const s = scenario(
    (pc) => ({
      // The seed configured before the restart: that IP is gone now; the pods' new IPs come from Kubernetes.
      REDIS_CLUSTER_NODES: pc.cluster.nodes[0]!.addr,
      CLUSTER_NAME: 'new-ip-k8s',
      K8S_ENABLED: 'true',
      K8S_NAMESPACE: 'redis',
    }),
    true,
  );

  it('diagnose names every old and new address and proposes MEETs only; after approval the cluster is whole', async () => {
    const { pc, standIn } = s;
    await restartAtNewIps(pc);
    for (const n of pc.cluster.nodes) standIn!.restartedAt(standIn!.podOfNode(n), n.host);
    await waitClusterDown(pc);

    const plan = await diagnose(s.app, s.chat);
    expect(plan.text).toContain('6 nodes restarted at new IPs and cannot find each other');
    expect(plan.text).toContain('Their ids and data are intact');
    pc.cluster.nodes.forEach((n, i) => {
      expect(plan.text).toContain(`redis-cluster-${i} was ${hostOf(s.oldAddrs[i]!)}, is now ${n.host}`);
    });
    expect(plan.text).toContain(`CLUSTER MEET ${pc.cluster.nodes[0]!.host} ${pc.cluster.nodes[0]!.port}`);
    expect((await s.app.store.get(plan.id))?.plan.risk).toBe('low');

    const thread = await approveAndExpectWhole(s, plan);
    expect(thread).toMatch(/MEETs sent from 6 nodes/);
    expect(thread).toMatch(/all 6 nodes list each other at their current addresses/);
    expect(thread).toMatch(/replica links/);
  });
});

describe('every pod restarted at once at a new IP, no Kubernetes: REDIS_CLUSTER_NODES lists the new addresses', () => {
  const s = scenario(newSeeds('new-ip-seeds'), false);

  it('proposes the same re-introduction and heals the cluster with every key and id', async () => {
    const { pc } = s;
    await restartAtNewIps(pc);
    await waitClusterDown(pc);

    const plan = await diagnose(s.app, s.chat);
    expect(plan.text).toContain('6 nodes restarted at new IPs and cannot find each other');
    const first = pc.cluster.nodes[0]!;
    expect(plan.text).toContain(
      `${first.id.slice(0, 8)} was ${hostOf(s.oldAddrs[0]!)}, is now ${first.host}`,
    );

    await approveAndExpectWhole(s, plan);
  });
});

describe('two pods still at addresses nobody knows, after four were re-met by hand', () => {
  const s = scenario(newSeeds('new-ip-subset'), false);

  it('names the two as listed at their old addresses, and the approved plan brings them back', async () => {
    const { pc } = s;
    const c = pc.cluster;
    await restartAtNewIps(pc);
    // Someone re-met pods 0-3 by hand and stopped there: pods 4 and 5 still sit where nobody looks.
    const [a, ...others] = c.nodes.slice(0, 4);
    for (const n of others) await c.cli(a!, 'CLUSTER', 'MEET', n.host, n.port);
    await c.waitFor(
      async () => {
        for (const n of c.nodes.slice(0, 4)) {
          const text = await c.cli(n, 'CLUSTER', 'NODES');
          if (!c.nodes.slice(0, 4).every((m) => text.includes(`${m.addr}@`))) return false;
        }
        return true;
      },
      30_000,
      'pods 0-3 to know each other at their new addresses',
    );
    const stuck = c.nodes.slice(4);
    await waitClusterDown(pc, stuck);

    const plan = await diagnose(s.app, s.chat);
    expect(plan.text).toContain('restarted at new IPs that other nodes still list at the old addresses');
    for (const n of stuck) {
      const old = hostOf(s.oldAddrs[c.nodes.indexOf(n)]!);
      expect(plan.text).toContain(
        `${n.id.slice(0, 8)} was ${old}, is now ${n.host} (5 still list the old one)`,
      );
    }

    await approveAndExpectWhole(s, plan);
  });
});

describe("addresses re-met by hand, replicas left syncing from their master's old address", () => {
  const s = scenario(newSeeds('new-ip-relink'), false);

  it('plans the replica-link check alone, and the approved plan re-issues CLUSTER REPLICATE', async () => {
    const { pc } = s;
    const c = pc.cluster;
    await restartAtNewIps(pc);
    await waitClusterDown(pc);
    // By hand: MEET every node from the first. A replica that learns its master's new address by gossip (not from
    // the master itself) keeps syncing from the old one: make sure it does, with the master frozen meanwhile and a
    // long node timeout on the first node, so that it passes the master on as healthy.
    const [x, master] = c.nodes as [LocalNode, LocalNode];
    const replica = c.nodes.find((n) => n.masterId === master.id)!;
    await c.cli(x, 'CONFIG', 'SET', 'cluster-node-timeout', 30_000);
    await c.cli(x, 'CLUSTER', 'MEET', master.host, master.port);
    await c.waitFor(
      async () =>
        (await c.cli(x, 'CLUSTER', 'NODES'))
          .split('\n')
          .some((l) => l.startsWith(master.id) && l.includes(`${master.addr}@`) && !l.includes('fail')),
      20_000,
      'the first node to know the master at its new address',
    );
    c.freeze(master);
    await c.cli(x, 'CLUSTER', 'MEET', replica.host, replica.port);
    await c.waitFor(
      async () => (await c.cli(replica, 'CLUSTER', 'NODES')).includes(`${master.addr}@`),
      20_000,
      'the replica to hear of its master by gossip',
    );
    c.thaw(master);
    await c.cli(x, 'CONFIG', 'SET', 'cluster-node-timeout', 1000);
    for (const n of c.nodes.slice(1)) await c.cli(x, 'CLUSTER', 'MEET', n.host, n.port);
    await c.waitFor(
      async () => {
        for (const n of c.nodes)
          if (!(await c.cli(n, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        return true;
      },
      30_000,
      'cluster_state:ok after the hand MEETs',
    );
    const staleLinks = async () => {
      const out: string[] = [];
      for (const n of c.nodes) {
        const info = await c.cli(n, 'INFO', 'replication');
        if (info.includes('role:slave') && !info.includes('master_link_status:up')) out.push(n.addr);
      }
      return out;
    };
    // Valkey re-points a replica at its master's new address from gossip alone: nothing is left to repair.
    if ((await c.cli(replica, 'INFO', 'server')).includes('valkey_version:')) {
      expect(await staleLinks()).toEqual([]);
      return;
    }
    expect(await staleLinks()).toContain(replica.addr);

    const plan = await diagnose(s.app, s.chat);
    expect(plan.text).toContain(`${replica.addr} still syncs from ${hostOf(s.oldAddrs[1]!)}`);
    expect(plan.text).toContain('replica-links');

    const thread = await approveAndExpectWhole(s, plan);
    expect(thread).toMatch(/CLUSTER REPLICATE sent again/);
    expect(await staleLinks()).toEqual([]);
  });
});
