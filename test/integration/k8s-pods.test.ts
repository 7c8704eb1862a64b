/**
 * Pods in the picture, end to end: a real Redis Cluster of redis-server processes, the Kubernetes API
 * stand-in serving them as pods, the real client-node through a kubeconfig file, the real scanner,
 * analyzer, planners and executor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFromString } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { createTopologySource } from '../../src/adapters/redis/scanner.ts';
import { executePlan } from '../../src/app/run/executor.ts';
import { restartPodHandler } from '../../src/app/steps/restart-pod.ts';
import { formatStatus } from '../../src/cli/format-status.ts';
import { planForAction, planForFindings, restartPodStep } from '../../src/core/plans/index.ts';
import type { ClusterDefinition, NodeCommander, PodApi, TopologySource } from '../../src/core/ports.ts';
import { systemClock } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { ExecEvent, Plan, Topology } from '../../src/core/types.ts';
import { type ClusterStandIn, startK8sStandInForCluster } from '../support/k8s-stand-in.ts';
import { type LocalCluster, useCluster } from '../support/redis-cluster.ts';

const NS = 'redis';
const SELECTOR = 'app.kubernetes.io/name=redis-cluster';

interface Rig {
  cluster: LocalCluster;
  standIn: ClusterStandIn;
  def: ClusterDefinition;
  pods: PodApi;
  commander: NodeCommander;
  source: TopologySource;
  events: ExecEvent[];
  scan(): Promise<Topology>;
  execute(plan: Plan): ReturnType<typeof executePlan>;
}

describe('Kubernetes pods in the picture (stand-in API, real cluster)', () => {
  const c = useCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }, 'each');
  let rig: Rig | undefined;

  afterEach(async () => {
    await rig?.standIn.close();
    await rig?.commander.close();
    rig = undefined;
  });

  async function setUp(): Promise<Rig> {
    const cluster = c.current;
    const standIn = await startK8sStandInForCluster(cluster, { namespace: NS });
    const pods = createPodApi(kubeConfigFromString(standIn.kubeconfig), { timeoutMs: 1000 });
    const def: ClusterDefinition = {
      name: 'k8s-test',
      // One seed only: the other members are found through gossip and the pods.
      seeds: [cluster.nodes[0]!.addr],
      auth: {},
      k8s: { namespace: NS, selector: SELECTOR },
    };
    const commander = createNodeCommander(def.auth, { timeoutMs: 800 });
    const source = createTopologySource(def, { podApi: pods, timeoutMs: 800 });
    const events: ExecEvent[] = [];
    rig = {
      cluster,
      standIn,
      def,
      pods,
      commander,
      source,
      events,
      scan: () => source.scan(),
      execute: (plan) =>
        executePlan(plan, {
          source,
          commander,
          pods,
          reporter: { emit: (e) => void events.push(e) },
          clock: systemClock,
          waitTimeoutMs: 30_000,
          pollMs: 100,
        }),
    };
    return rig;
  }

  const ctx = (cluster: string) => ({
    cluster,
    requestedBy: 'U_ONCALL',
    now: Date.now(),
    ttlMs: 15 * 60_000,
  });

  /** Scan until `pred` holds on the topology (the cluster converges by gossip). */
  async function scanUntil(
    r: Rig,
    what: string,
    pred: (t: Topology) => boolean,
    timeoutMs = 20_000,
  ): Promise<Topology> {
    const until = Date.now() + timeoutMs;
    let last: Topology | undefined;
    while (Date.now() < until) {
      last = await r.scan();
      if (pred(last)) return last;
      await new Promise((res) => setTimeout(res, 200));
    }
    const codes = last
      ? [
          ...analyzeTopology(last).map((f) => `${f.code}: ${f.summary}`),
          ...last.outsiders.map((o) => `outsider ${o.addr} ${o.outcome} ${o.pod?.name ?? ''}`),
          ...last.nodes
            .filter((n) => n.health !== 'ok')
            .map((n) => `node ${n.addr} ${n.id.slice(0, 8)} ${n.health}`),
        ]
      : [];
    throw new Error(`timed out waiting for ${what}; last findings:\n${codes.join('\n')}`);
  }

  // Test nodes run without persistence (`save ""`), which the analyzer rightly warns about: not our concern here.
  const healthy = (t: Topology) =>
    analyzeTopology(t).filter((f) => f.severity !== 'info' && f.code !== 'master-no-persistence').length ===
      0 &&
    t.outsiders.length === 0 &&
    t.nodes.every((n) => n.health === 'ok');

  describe('when a master pod was deleted and came back as a fresh node (write-up 004)', () => {
    it('status names the pod outside the cluster, diagnose plans for it by pod name, and the plan heals the cluster', async () => {
      const r = await setUp();
      const before = await r.scan();
      expect(before.pods?.map((p) => p.name)).toEqual([
        'redis-cluster-0',
        'redis-cluster-1',
        'redis-cluster-2',
        'redis-cluster-3',
        'redis-cluster-4',
        'redis-cluster-5',
      ]);
      expect(before.nodes.every((n) => n.pod)).toBe(true);

      // kubectl delete pod: the stand-in kills the master and starts a fresh node on a new IP.
      const master = r.cluster.masters()[2]!;
      const podName = r.standIn.podOfNode(master);
      await r.pods.deletePod(NS, podName);
      const back = await r.standIn.waitForRunning(podName);
      expect(back.ip).not.toBe(master.host);

      // Redis promotes the replica; the old id stays behind as `master,fail`.
      const replica = r.cluster.replicasOf(master)[0]!;
      const broken = await scanUntil(
        r,
        'the failover and the fresh pod alone',
        (t) =>
          t.nodes.some((n) => n.id === master.id && n.health === 'fail' && n.slots.length === 0) &&
          t.nodes.some((n) => n.id === replica.id && n.role === 'master' && n.slots.length > 0) &&
          t.outsiders.some((o) => o.pod?.name === podName) &&
          // …and every node has heard of the promotion: until then the planner says to diagnose again.
          planForFindings(t, analyzeTopology(t), ctx(r.def.name)).ok,
      );
      const outsider = broken.outsiders.find((o) => o.pod?.name === podName)!;
      expect(outsider.addr).toBe(`${back.ip}:${back.port}`);
      expect(outsider.info?.knownNodes).toBe(1);

      const findings = analyzeTopology(broken);
      const podFinding = findings.find((f) => f.code === 'pod-not-in-cluster');
      expect(podFinding?.summary).toContain(`pod ${podName}`);
      const status = formatStatus(broken, findings);
      console.log(status);
      expect(status).toMatch(new RegExp(`${podName}\\b.*(not part of the cluster|outside the cluster)`));
      // Bitnami's readiness fails while the lone node says cluster_state:fail.
      const podNow = broken.pods?.find((p) => p.name === podName);
      expect(podNow).toMatchObject({ ready: false, phase: 'Running' });

      const planned = planForFindings(broken, findings, ctx(r.def.name));
      if (!planned.ok) throw new Error(planned.reason);
      const text = JSON.stringify(planned.plan.steps);
      expect(text).toContain(podName);
      expect(planned.plan.steps.map((s) => s.kind)).toEqual(
        expect.arrayContaining(['forget', 'meet', 'replicate']),
      );

      const result = await r.execute(planned.plan);
      expect(result.status, result.detail).toBe('succeeded');

      const healed = await scanUntil(r, 'a healthy cluster', healthy);
      const rejoined = healed.nodes.find((n) => n.pod?.name === podName);
      expect(rejoined?.role).toBe('replica');
      expect(healed.nodes.some((n) => n.id === master.id)).toBe(false);
      // The pod passes its readiness now that its node sees cluster_state:ok.
      expect(healed.pods?.find((p) => p.name === podName)?.ready).toBe(true);
    });
  });

  describe('/redis restart <pod> on a replica pod', () => {
    it('restarts it through the Kubernetes API, and the plan that follows rejoins it as a replica', async () => {
      const r = await setUp();
      const replica = r.cluster.replicas()[0]!;
      const podName = r.standIn.podOfNode(replica);
      const before = await r.scan();

      const planned = planForAction(before, { kind: 'restart', pod: podName }, ctx(r.def.name));
      if (!planned.ok) throw new Error(planned.reason);
      expect(planned.plan.steps.map((s) => s.kind)).toEqual(['restart-pod']);

      const result = await r.execute(planned.plan);
      expect(result.status, result.detail).toBe('succeeded');
      expect(result.steps[0]?.detail).toMatch(
        new RegExp(`pod ${NS}/${podName} is back at 127\\.0\\.0\\.\\d+:\\d+ as a new node`),
      );
      expect(
        r.standIn.requests.some(
          (q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${NS}/pods/${podName}`,
        ),
      ).toBe(true);
      expect(r.standIn.nodeOfPod(podName).id).not.toBe(replica.id);

      // Running again the same plan is a no-op: the pod was already recreated after the plan was made.
      const again = await r.execute(planned.plan);
      expect(again.status).toBe('succeeded');
      expect(again.steps[0]?.outcome).toBe('skipped');

      const broken = await scanUntil(
        r,
        'the old replica flagged failed and the pod alone',
        (t) =>
          t.nodes.some((n) => n.id === replica.id && n.health === 'fail') &&
          t.outsiders.some((o) => o.pod?.name === podName),
      );
      const next = planForFindings(broken, analyzeTopology(broken), ctx(r.def.name));
      if (!next.ok) throw new Error(next.reason);
      const rejoin = await r.execute(next.plan);
      expect(rejoin.status, rejoin.detail).toBe('succeeded');

      const healed = await scanUntil(r, 'a healthy cluster', healthy);
      const node = healed.nodes.find((n) => n.pod?.name === podName);
      expect(node?.role).toBe('replica');
      expect(node?.replication?.masterLinkStatus).toBe('up');
    });

    it('refuses, before touching anything, a pod whose master is the only holder of its slots', async () => {
      const r = await setUp();
      const master = r.cluster.masters()[1]!;
      const replica = r.cluster.replicasOf(master)[0]!;
      await r.cluster.kill(replica);
      const t = await scanUntil(r, 'the replica flagged failed', (x) =>
        x.nodes.some((n) => n.id === replica.id && n.health === 'fail'),
      );
      const podName = r.standIn.podOfNode(master);
      const step = restartPodStep(podName, NS, 'master');
      const check = restartPodHandler.check(t, step as Extract<typeof step, { kind: 'restart-pod' }>);
      expect(check.state).toBe('stale');
      expect(check.state === 'stale' && check.reason).toMatch(
        /only holder of slots .* \(no healthy replica\)/,
      );

      const plan: Plan = {
        id: 'restart-refused',
        cluster: r.def.name,
        title: 'restart',
        fingerprint: t.fingerprint,
        requestedBy: 'U_ONCALL',
        createdAt: Date.now(),
        expiresAt: Date.now() + 60_000,
        risk: 'high',
        steps: [step],
        approvalsNeeded: 1,
        findings: [],
      };
      const result = await r.execute(plan);
      expect(result.status).toBe('stale');
      expect(r.standIn.requests.some((q) => q.method === 'DELETE')).toBe(false);
    });
  });

  describe('when the Kubernetes API fails', () => {
    it('a 403 gives a clear k8s-api-error finding and the Redis-only picture still comes back', async () => {
      const r = await setUp();
      r.standIn.setMode('forbidden');
      const t = await r.scan();
      expect(t.pods).toBeUndefined();
      expect(t.podError).toMatch(/403 Forbidden/);
      expect(t.nodes).toHaveLength(6);
      expect(t.nodes.every((n) => n.health === 'ok')).toBe(true);
      const finding = analyzeTopology(t).find((f) => f.code === 'k8s-api-error');
      expect(finding?.summary).toMatch(/Kubernetes/);
      expect(finding?.evidence.join(' ')).toMatch(/cannot list resource "pods"/);
    });

    it('an API server that hangs delays the scan by the request timeout only', async () => {
      const r = await setUp();
      r.standIn.setMode('hang');
      const t0 = Date.now();
      const t = await r.scan();
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(t.podError).toMatch(/did not answer within 1000 ms/);
      expect(t.nodes).toHaveLength(6);
    });
  });
});
