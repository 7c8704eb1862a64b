/**
 * Helpers for the "every pod at a new IP" tests (issue 14, part 1): a cluster whose "pods" each have their
 * own loopback IP and share one port, with AOF on and their own data dirs; restarting pods at new IPs on
 * the same dirs (so nodes.conf, ids and data survive); and driving the composed app's chat service.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ChatMessage } from '../../src/app/chat-port.ts';
import type { ComposedApp } from '../../src/compose.ts';
import { pickSharedPort } from '../../src/sandbox/local-cluster.ts';
import { buttonsOf, composeWithChat, type memoryChat, textOf, waitFor } from '../support/memory-chat.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../support/redis-cluster.ts';

export interface PodCluster {
  cluster: LocalCluster;
  oldHosts: string[];
  newHosts: string[];
  /** Node id of each member as built, by its first address. */
  idBefore: Map<LocalNode, string>;
}

/** 3 masters + 3 replicas, each on its own 127.0.0.N, one shared port free on the old and new IPs. */
export async function startPodCluster(): Promise<PodCluster> {
  // 127/8 is all loopback on Linux: twelve addresses in a random block, so parallel runs rarely meet.
  const base = 2 + Math.floor(Math.random() * 240);
  const oldHosts = Array.from({ length: 6 }, (_, i) => `127.0.0.${base + i}`);
  const newHosts = Array.from({ length: 6 }, (_, i) => `127.0.0.${base + 6 + i}`);
  const port = await pickSharedPort([...oldHosts, ...newHosts]);
  const cluster = await startLocalCluster({
    masters: 3,
    replicasPerMaster: 1,
    hosts: oldHosts,
    port,
    appendonly: true,
    nodeTimeoutMs: 1000,
    // A pod stopped by Kubernetes flushes its AOF on SIGTERM; our SIGKILL must not lose the last second.
    extraConfig: ['appendfsync always'],
  });
  return { cluster, oldHosts, newHosts, idBefore: new Map(cluster.nodes.map((n) => [n, n.id])) };
}

/** The pods are killed all at once, then each starts again on its own data dir at its new IP. */
export async function restartAtNewIps(pc: PodCluster, nodes: LocalNode[] = pc.cluster.nodes): Promise<void> {
  await Promise.all(nodes.map((n) => pc.cluster.kill(n)));
  await Promise.all(nodes.map((n) => pc.cluster.moveNode(n, pc.newHosts[pc.cluster.nodes.indexOf(n)]!)));
}

/** Until each of `nodes` says cluster_state:fail: they no longer reach enough of the others. */
export async function waitClusterDown(pc: PodCluster, nodes: LocalNode[] = pc.cluster.nodes): Promise<void> {
  await pc.cluster.waitFor(
    async () => {
      for (const n of nodes)
        if (!(await pc.cluster.cli(n, 'CLUSTER', 'INFO')).includes('cluster_state:fail')) return false;
      return true;
    },
    30_000,
    'the restarted nodes to lose each other (cluster_state:fail)',
  );
}

/** What a user checks after the repair: each node kept its id, and every node lists only the new addresses. */
export async function idsAndAddressProblems(pc: PodCluster): Promise<string[]> {
  const problems: string[] = [];
  for (const n of pc.cluster.nodes) {
    const id = await pc.cluster.cli(n, 'CLUSTER', 'MYID');
    if (id !== pc.idBefore.get(n)) problems.push(`${n.addr} has id ${id}, had ${pc.idBefore.get(n)}`);
    const text = await pc.cluster.cli(n, 'CLUSTER', 'NODES');
    for (const old of pc.oldHosts)
      if (text.includes(`${old}:`)) problems.push(`${n.addr} still lists ${old}`);
    const lines = text.trim().split('\n').length;
    if (lines !== pc.cluster.nodes.length) problems.push(`${n.addr} lists ${lines} nodes`);
  }
  return problems;
}

export const CHANNEL = 'C0INCIDENT';
export const ASKER = 'U0ONCALL';
export const APPROVER = 'U0SECOND';

/** The composed app (real control Redis, BullMQ worker) around an in-memory chat. */
export function composeMedic(
  env: NodeJS.ProcessEnv,
  chat: ReturnType<typeof memoryChat>,
  extra: Parameters<typeof composeWithChat>[2] = {},
): Promise<ComposedApp> {
  return composeWithChat(
    {
      APPROVERS: `${ASKER},${APPROVER}`,
      ALLOWED_CHANNELS: CHANNEL,
      SCAN_TIMEOUT_MS: '800',
      WATCH_INTERVAL: '0',
      LOG_LEVEL: 'silent',
      ...env,
    },
    chat.port,
    {
      prefix: `nip-${randomBytes(4).toString('hex')}`,
      executor: { waitTimeoutMs: 30_000, pollMs: 100 },
      ...extra,
    },
  );
}

/** `/redis diagnose` in the channel: the plan message it posted (ts, plan id, text), or what it said instead. */
export async function diagnose(
  app: ComposedApp,
  chat: ReturnType<typeof memoryChat>,
): Promise<{ ts: string; id: string; text: string }> {
  const told: string[] = [];
  const before = new Set(chat.messages.keys());
  await app.chatService.handleCommand({
    user: ASKER,
    channel: CHANNEL,
    text: 'diagnose',
    respond: async (msg) => void told.push(textOf(msg)),
  });
  const posted = [...chat.messages.entries()].filter(([ts, m]) => !before.has(ts) && !m.threadTs);
  const entry = posted.find(([, m]) => buttonsOf(m.msg).length > 0);
  if (!entry) {
    const said = [...told, ...posted.map(([, m]) => textOf(m.msg))];
    throw new Error(`no plan with buttons was posted; said:\n${said.join('\n')}`);
  }
  const approve = buttonsOf(entry[1].msg).find((b) => b.action_id === 'plan_approve');
  return { ts: entry[0], id: approve!.value!, text: textOf(entry[1].msg) };
}

/** The second person approves; the worker runs the plan to `succeeded`; returns the thread's text. */
export async function approveAndWait(
  app: ComposedApp,
  chat: ReturnType<typeof memoryChat>,
  plan: { ts: string; id: string },
): Promise<string> {
  await app.chatService.handleAction({
    user: APPROVER,
    channel: CHANNEL,
    messageTs: plan.ts,
    actionId: 'plan_approve',
    value: plan.id,
    respond: async () => {},
  });
  const thread = () => chat.thread(plan.ts).map((m) => textOf(m.msg as ChatMessage));
  await waitFor(
    async () => {
      const status = (await app.store.get(plan.id))?.status;
      if (status === 'failed' || status === 'stale' || status === 'cancelled')
        throw new Error(`plan ${plan.id} ended ${status}:\n${thread().join('\n')}`);
      return status === 'succeeded';
    },
    90_000,
    `plan ${plan.id} to succeed`,
  );
  await waitFor(
    () => thread().some((t) => /Plan \S+ succeeded/.test(t)),
    30_000,
    'the summary in the thread',
  );
  await app.chatService.idle();
  expect(textOf(chat.messages.get(plan.ts)?.msg)).toContain('*Succeeded*');
  return thread().join('\n');
}
