import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatPort, Respond } from '../../src/app/chat-port.ts';
import { assertWithinBlockKitLimits } from '../../src/app/messages/index.ts';
import type { ComposedApp } from '../../src/compose.ts';
import { composeWithChat } from '../support/memory-chat.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
} from '../support/redis-cluster.ts';

/** Records what was posted; every message checked against Block Kit limits. */
function recordingChat() {
  const posts: { channel: string; msg: ChatMessage }[] = [];
  const edits: { ts: string; msg: ChatMessage }[] = [];
  const port: ChatPort = {
    async post(channel, msg) {
      assertWithinBlockKitLimits(msg);
      posts.push({ channel, msg });
      return { ts: `1.${posts.length}` };
    },
    async update(_channel, ts, msg) {
      assertWithinBlockKitLimits(msg);
      edits.push({ ts, msg });
    },
    async postEphemeral(channel, _user, msg) {
      assertWithinBlockKitLimits(msg);
      posts.push({ channel, msg });
    },
  };
  return { port, posts, edits };
}

const textOf = (m: ChatMessage | undefined) => (m ? `${m.text}\n${JSON.stringify(m.blocks)}` : '');

describe('ChatService with several clusters (CLUSTERS_FILE)', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: ComposedApp;
  const chat = recordingChat();

  async function ask(text: string): Promise<string> {
    const said: ChatMessage[] = [];
    const respond: Respond = async (msg) => {
      assertWithinBlockKitLimits(msg);
      said.push(msg);
    };
    const before = chat.posts.length;
    await app.chatService.handleCommand({ user: 'U0ONCALL', channel: 'C0OPS', text, respond });
    return [...said, ...chat.posts.slice(before).map((p) => p.msg)].map(textOf).join('\n');
  }

  beforeAll(async () => {
    control = await startRedis();
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    app = await composeWithChat(
      {
        CONTROL_REDIS_URL: control.url,
        // The definitions come from `extra.clusters` (what the CLUSTERS_FILE loader returns).
        REDIS_CLUSTER_NODES: '127.0.0.1:1',
        SCAN_TIMEOUT_MS: '300',
        PLAN_TTL_MS: '1500',
        LOG_LEVEL: 'silent',
      },
      chat.port,
      {
        prefix: `itc-${randomBytes(4).toString('hex')}`,
        expiryIntervalMs: 200,
        clusters: [
          { name: 'prod', seeds: cluster.addrs(), auth: {} },
          // Nothing listens on port 1: a cluster that cannot be reached at all.
          { name: 'staging', seeds: ['127.0.0.1:1'], auth: {} },
        ],
      },
      'bot',
    );
    await app.chatService.start();
  });

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    await control?.stop();
  });

  it('asks which cluster when several are configured and none is named', async () => {
    expect(await ask('status')).toContain('several clusters are configured: name one of prod, staging');
  });

  it('takes the cluster by position or by --cluster, on any sub-command', async () => {
    expect(await ask('status prod')).toContain('Redis prod:');
    expect(await ask('status --cluster prod')).toContain('cluster_state:ok');
    expect(await ask('failover abcdef --cluster prod')).toMatch(/no node.*"abcdef" in cluster prod/i);
  });

  it('names the known clusters when given an unknown one', async () => {
    expect(await ask('diagnose -c qa')).toContain('unknown cluster "qa": known clusters are prod, staging');
  });

  it('lists every cluster with its health, also the one it cannot reach', async () => {
    const t0 = Date.now();
    const out = await ask('clusters');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(out).toMatch(/\*prod\* — (healthy|ok, with warnings)/);
    expect(out).toMatch(/\*staging\* — unreachable/);
  });

  it('says plainly that a cluster cannot be reached', async () => {
    expect(await ask('status staging')).toMatch(/unreachable|Could not read cluster staging/);
  });

  it('marks a plan nobody approved as expired, in place, and takes its buttons away', async () => {
    const replica = cluster.replicas()[0]!;
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
    const before = chat.posts.length;
    const out = await ask(`failover ${replica.addr} --cluster prod`);
    expect(out).toContain('plan_approve');
    const ts = `1.${before + 1}`;
    const end = Date.now() + 10_000;
    while (Date.now() < end && !chat.edits.some((e) => e.ts === ts && textOf(e.msg).includes('*Expired*')))
      await new Promise((r) => setTimeout(r, 100));
    const last = chat.edits.filter((e) => e.ts === ts).at(-1);
    expect(textOf(last?.msg)).toContain('*Expired*');
    expect(textOf(last?.msg)).not.toContain('plan_approve');
  });
});
