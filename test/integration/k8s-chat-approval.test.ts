/**
 * Issue 6, "Done when", first bullet, through the real approval path: the composed app (chat service,
 * plan store, approvals, BullMQ queue and worker on a real control Redis) with K8S_ENABLED, the
 * Kubernetes API stand-in reached through a real kubeconfig file, and a real Redis Cluster in the
 * replaced-pod state of write-up 004. `/redis status` names the restarted pod as outside the cluster,
 * `/redis diagnose` plans for it by pod name, a second person approves, the worker runs the plan, and
 * the pod is a ready replica again. Then `/redis restart <replica pod>` the same way, and the
 * diagnose / approve that follows rejoins it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/adapters/k8s/kube-config.ts';
import { createPodApi } from '../../src/adapters/k8s/pod-api.ts';
import type { ChatMessage, Respond } from '../../src/app/chat-port.ts';
import { assertWithinBlockKitLimits } from '../../src/app/messages/index.ts';
import type { ComposedApp } from '../../src/compose.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { Topology } from '../../src/core/types.ts';
import { type ClusterStandIn, startK8sStandInForCluster } from '../support/k8s-stand-in.ts';
import { buttonsOf, composeWithChat, memoryChat, textOf, waitFor } from '../support/memory-chat.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';

const NS = 'redis';
const CLUSTER = 'k8s-chat';
const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0SECOND';

describe('Issue 6 through chat: replaced pod, /redis status, diagnose, approval, worker (stand-in API, real cluster)', () => {
  let control: LocalRedis | undefined;
  let cluster: LocalCluster | undefined;
  let standIn: ClusterStandIn | undefined;
  let app: ComposedApp | undefined;
  const chat = memoryChat();
  /** The pod the first test replaced: the second restarts another one. */
  let replacedPod = '';

  beforeAll(async () => {
    control = await startRedis();
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    standIn = await startK8sStandInForCluster(cluster, { namespace: NS });
    app = await composeWithChat(
      {
        CONTROL_REDIS_URL: control.url,
        // One seed: the other members come from gossip and from the pods.
        REDIS_CLUSTER_NODES: cluster.nodes[0]!.addr,
        CLUSTER_NAME: CLUSTER,
        K8S_ENABLED: 'true',
        K8S_NAMESPACE: NS,
        APPROVERS: `${ASKER},${APPROVER}`,
        ALLOWED_CHANNELS: CHANNEL,
        SCAN_TIMEOUT_MS: '800',
        WATCH_INTERVAL: '0',
        LOG_LEVEL: 'silent',
      },
      chat.port,
      {
        prefix: `k8c-${randomBytes(4).toString('hex')}`,
        // The real client-node, loaded from the stand-in's kubeconfig file as KUBECONFIG would be.
        podApi: createPodApi(loadKubeConfig({ KUBECONFIG: standIn.kubeconfigPath }), { timeoutMs: 1000 }),
        executor: { waitTimeoutMs: 30_000, pollMs: 100 },
      },
    );
    await app.chatService.start();
  });

  afterAll(async () => {
    await app?.close();
    await standIn?.close();
    await cluster?.stop();
    await control?.stop();
  });

  /** `/redis <text>` from `user`: what was posted in the channel and what only the user was told. */
  async function ask(
    text: string,
    user = ASKER,
  ): Promise<{ posted: [string, ChatMessage][]; told: string[] }> {
    const told: string[] = [];
    const respond: Respond = async (msg) => {
      assertWithinBlockKitLimits(msg);
      told.push(textOf(msg));
    };
    const before = new Set(chat.messages.keys());
    await app!.chatService.handleCommand({ user, channel: CHANNEL, text, respond });
    const posted = [...chat.messages.entries()]
      .filter(([ts, m]) => !before.has(ts) && !m.threadTs)
      .map(([ts, m]) => [ts, m.msg] as [string, ChatMessage]);
    return { posted, told };
  }

  /** The plan message a command just posted: its ts, plan id and text. */
  function planOf(posted: [string, ChatMessage][], told: string[]): { ts: string; id: string; text: string } {
    const entry = posted.find(([, m]) => buttonsOf(m).length > 0);
    if (!entry) throw new Error(`no plan with buttons was posted; told: ${told.join('\n')}`);
    const [approve, reject] = buttonsOf(entry[1]);
    expect(approve?.action_id).toBe('plan_approve');
    expect(reject?.action_id).toBe('plan_reject');
    return { ts: entry[0], id: approve!.value!, text: textOf(entry[1]) };
  }

  /** A second approver presses Approve; the worker runs the plan; its summary lands in the thread. */
  async function approveAndRun(plan: { ts: string; id: string }): Promise<void> {
    const told: string[] = [];
    await app!.chatService.handleAction({
      user: APPROVER,
      channel: CHANNEL,
      messageTs: plan.ts,
      actionId: 'plan_approve',
      value: plan.id,
      respond: async (msg) => void told.push(textOf(msg)),
    });
    expect(told.join('\n')).toContain(`Approved by <@${APPROVER}>`);
    await waitFor(
      async () => {
        const status = (await app!.store.get(plan.id))?.status;
        if (status === 'failed' || status === 'stale' || status === 'cancelled')
          throw new Error(`plan ${plan.id} ended ${status}: ${chat.thread(plan.ts).map((m) => m.msg.text)}`);
        return status === 'succeeded';
      },
      90_000,
      `plan ${plan.id} to succeed`,
    );
    await waitFor(
      () => chat.thread(plan.ts).some((m) => /Plan \S+ succeeded/.test(m.msg.text)),
      60_000,
      'the summary in the thread',
    );
    await app!.chatService.idle();
    expect(textOf(chat.messages.get(plan.ts)?.msg)).toContain('*Succeeded*');
  }

  const scan = () => app!.clusters.get(CLUSTER).source.scan();

  async function scanUntil(what: string, pred: (t: Topology) => boolean, timeoutMs = 30_000) {
    const until = Date.now() + timeoutMs;
    let last: Topology | undefined;
    while (Date.now() < until) {
      last = await scan();
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    const findings = last ? analyzeTopology(last).map((f) => `${f.code}: ${f.summary}`) : [];
    throw new Error(`timed out waiting for ${what}; last findings:\n${findings.join('\n')}`);
  }

  // Test nodes run without persistence (`save ""`), which the analyzer rightly warns about: not the point here.
  const healthy = (t: Topology) =>
    analyzeTopology(t).filter((f) => f.severity !== 'info' && f.code !== 'master-no-persistence').length ===
      0 &&
    t.outsiders.length === 0 &&
    t.nodes.every((n) => n.health === 'ok') &&
    (t.pods ?? []).every((p) => p.ready);

  it('a master pod replaced by a fresh node: status names it, diagnose plans for it by name, the approved plan heals the cluster', async () => {
    const c = cluster!;
    const s = standIn!;
    const master = c.masters()[2]!;
    const replica = c.replicasOf(master)[0]!;
    await c.waitFor(
      async () => (await c.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
    const before = await scan();
    expect(before.pods).toHaveLength(6);

    // kubectl delete pod: the stand-in kills the master and starts a fresh node on a new IP.
    const podName = s.podOfNode(master);
    replacedPod = podName;
    await app!.clusters.get(CLUSTER).pods!.deletePod(NS, podName);
    const back = await s.waitForRunning(podName);
    await scanUntil(
      'the failover and the fresh pod alone',
      (t) =>
        t.nodes.some((n) => n.id === master.id && n.health === 'fail' && n.slots.length === 0) &&
        t.nodes.some((n) => n.id === replica.id && n.role === 'master' && n.slots.length > 0) &&
        t.outsiders.some((o) => o.pod?.name === podName) &&
        t.nodes.every((n) => n.health !== 'pfail'),
    );

    const status = await ask('status');
    expect(status.told).toEqual([]);
    expect(status.posted).toHaveLength(1);
    const statusText = textOf(status.posted[0]![1]);
    expect(statusText).toContain(`pod \`${podName}\` answers but is *not in the cluster*`);
    expect(statusText).toContain(`pod ${podName} (${back.ip}:${back.port}) is not part of the cluster`);

    const diagnose = await ask('diagnose');
    const plan = planOf(diagnose.posted, diagnose.told);
    expect(plan.text).toContain(podName);
    expect(plan.text).toMatch(/CLUSTER FORGET/);
    expect(plan.text).toMatch(/CLUSTER MEET/);
    expect(plan.text).toMatch(/CLUSTER REPLICATE/);
    expect((await app!.store.get(plan.id))?.status).toBe('proposed');

    await approveAndRun(plan);

    const healed = await scanUntil('a healthy cluster with the pod ready', healthy);
    const rejoined = healed.nodes.find((n) => n.pod?.name === podName);
    expect(rejoined?.role).toBe('replica');
    expect(rejoined?.replication?.masterLinkStatus).toBe('up');
    expect(healed.nodes.some((n) => n.id === master.id)).toBe(false);
    expect(healed.pods?.find((p) => p.name === podName)?.ready).toBe(true);
  });

  it('/redis restart <replica pod> through chat restarts it, and the approved diagnose plan that follows rejoins it', async () => {
    const s = standIn!;
    const t0 = await scanUntil('a healthy cluster', healthy);
    const target = t0.nodes.find((n) => n.role === 'replica' && n.pod && n.pod.name !== replacedPod)!;
    const podName = target.pod!.name;

    const restart = await ask(`restart ${podName}`);
    const plan = planOf(restart.posted, restart.told);
    expect(plan.text).toContain(`${NS}/${podName}`);
    await approveAndRun(plan);
    expect(
      s.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${NS}/pods/${podName}`),
    ).toBe(true);
    expect(s.nodeOfPod(podName).id).not.toBe(target.id);

    await scanUntil(
      'the old replica flagged failed and the pod alone',
      (t) =>
        t.nodes.some((n) => n.id === target.id && n.health === 'fail') &&
        t.outsiders.some((o) => o.pod?.name === podName) &&
        t.nodes.every((n) => n.health !== 'pfail'),
    );
    const diagnose = await ask('diagnose');
    const rejoin = planOf(diagnose.posted, diagnose.told);
    expect(rejoin.text).toContain(podName);
    await approveAndRun(rejoin);

    const healed = await scanUntil('a healthy cluster with the pod ready', healthy);
    const node = healed.nodes.find((n) => n.pod?.name === podName);
    expect(node?.role).toBe('replica');
    expect(node?.replication?.masterLinkStatus).toBe('up');
    expect(healed.nodes.some((n) => n.id === target.id)).toBe(false);
    expect(healed.pods?.find((p) => p.name === podName)?.ready).toBe(true);
  });
});
