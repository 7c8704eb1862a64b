/**
 * Two bot processes on one control Redis (HTTP mode behind a load balancer, or a rolling update): both
 * hear every plan event, but the plan's thread must read as if one bot wrote it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatPort, Respond } from '../../src/app/chat-port.ts';
import { type ComposedApp, composeApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';

const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ASKER';
const APPROVER = 'U0SECOND';

/** One channel, as Slack keeps it: both bots post into the same message list. */
function sharedChannel() {
  let n = 0;
  const messages = new Map<string, { threadTs?: string; msg: ChatMessage }>();
  const port: ChatPort = {
    async post(_channel, msg, opts) {
      n += 1;
      const ts = `1700000000.${String(n).padStart(6, '0')}`;
      messages.set(ts, { ...(opts?.threadTs ? { threadTs: opts.threadTs } : {}), msg });
      return { ts };
    },
    async update(_channel, ts, msg) {
      const m = messages.get(ts);
      if (!m) throw new Error(`message_not_found: ${ts}`);
      m.msg = msg;
    },
    async postEphemeral() {},
  };
  return { port, messages };
}

const text = (m: ChatMessage) => `${m.text}\n${JSON.stringify(m.blocks)}`;

async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('two bot processes on one control Redis', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  const apps: ComposedApp[] = [];
  const channel = sharedChannel();

  beforeAll(async () => {
    [control, cluster] = await Promise.all([
      startRedis(),
      startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 }),
    ]);
    const loaded = loadConfig({
      CONTROL_REDIS_URL: control.url,
      REDIS_CLUSTER_NODES: cluster.addrs().join(','),
      CLUSTER_NAME: 'it',
      APPROVERS: `${ASKER},${APPROVER}`,
      SCAN_TIMEOUT_MS: '500',
      // Two processes on one control Redis: they seal and check approvals with one shared secret.
      APPROVAL_SECRET: 'two-bots-approval-secret-0123456789abcdef',
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const prefix = `two-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 2; i++) {
      const app = await composeApp(loaded.config, {
        chat: channel.port,
        logger: createLogger('silent'),
        role: 'all',
        extra: { prefix, executor: { waitTimeoutMs: 30_000, pollMs: 100 } },
      });
      await app.chatService.start();
      apps.push(app);
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all([cluster?.stop(), control?.stop()]);
  });

  it('one of them reports a plan: one progress message and one summary in its thread', async () => {
    const [first, second] = apps as [ComposedApp, ComposedApp];
    const replica = cluster.replicas()[0];
    if (!replica) throw new Error('no replica');
    const quiet: Respond = async () => {};
    await first.chatService.handleCommand({
      user: ASKER,
      channel: CHANNEL,
      text: `failover ${replica.addr}`,
      respond: quiet,
    });
    const planEntry = [...channel.messages.entries()].find(([, m]) =>
      m.msg.blocks.some((b) => b.type === 'actions'),
    );
    if (!planEntry) throw new Error('no plan message with buttons was posted');
    const [planTs, planMsg] = planEntry;
    const approve = planMsg.msg.blocks
      .flatMap((b) => (b.type === 'actions' ? b.elements : []))
      .find((e) => e.action_id === 'plan_approve');
    if (!approve?.value) throw new Error('no Approve button');
    const planId = approve.value;

    await second.chatService.handleAction({
      user: APPROVER,
      channel: CHANNEL,
      messageTs: planTs,
      actionId: 'plan_approve',
      value: planId,
      respond: quiet,
    });
    await waitFor(
      async () => (await first.store.get(planId))?.status === 'succeeded',
      60_000,
      'the plan to succeed',
    );
    expect(await cluster.roleOf(replica)).toBe('master');
    await waitFor(
      () =>
        [...channel.messages.values()].some((m) => m.threadTs === planTs && /succeeded/i.test(text(m.msg))),
      30_000,
      'the summary in the thread',
    );
    // Both bots have looked at the ended plan again: each ran two more reconcile rounds (so one whole round
    // began after the end), and said whatever that round made them say.
    const seen = apps.map((a) => a.chatService.reconcileRounds());
    await waitFor(
      () => apps.every((a, i) => a.chatService.reconcileRounds() >= seen[i]! + 2),
      30_000,
      'a full reconcile round of both bots after the end',
    );
    await Promise.all(apps.map((a) => a.chatService.idle()));

    const thread = [...channel.messages.values()]
      .filter((m) => m.threadTs === planTs)
      .map((m) => text(m.msg));
    const summaries = thread.filter((t) => /before/i.test(t) && /after/i.test(t));
    expect(summaries).toHaveLength(1);
    expect(new Set(thread).size).toBe(thread.length);
  });
});
