/**
 * The end check seen from the chat (issue 14): a handover that leaves a key on a master that does not own
 * its slot ends Failed, and the plan's thread names the slot, the node and the count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposedApp } from '../../src/compose.ts';
import { press, startAppOnCluster, stopAppOnCluster } from '../support/chat-on-cluster.ts';
import { buttonsOf, memoryChat, responder, textOf, waitFor } from '../support/memory-chat.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import { keysIn, strayKey, tagOwnedBy } from './open-slots-support.ts';
import { waitReplicasCaughtUp } from './plans-support.ts';

const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ASKER';
const APPROVER = 'U0SECOND';

describe('a plan that touched slots, in the chat', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: ComposedApp;
  const chat = memoryChat();

  beforeAll(async () => {
    ({ control, cluster, app } = await startAppOnCluster(chat, {
      channel: CHANNEL,
      approvers: [ASKER, APPROVER],
      prefix: 'it',
    }));
  });

  afterAll(async () => {
    await stopAppOnCluster({ app, cluster, control });
  });

  it('ends Failed when a key of a touched slot sits on a non-owner, and the thread names slot, node and count', async () => {
    const [a, , other] = cluster.masters() as [LocalCluster['nodes'][0], unknown, LocalCluster['nodes'][0]];
    const { tag, slot } = await tagOwnedBy(cluster, a);
    await strayKey(cluster, a, other, tag, slot);
    expect(await keysIn(cluster, other, slot)).toBe(1);
    await waitReplicasCaughtUp(cluster);

    const replica = cluster.replicasOf(a)[0]!;
    await app.chatService.handleCommand({
      user: ASKER,
      channel: CHANNEL,
      text: `failover ${replica.addr}`,
      respond: responder().respond,
    });
    const entry = [...chat.messages.entries()].reverse().find(([, m]) => buttonsOf(m.msg).length > 0);
    expect(entry).toBeDefined();
    const [planTs, m] = entry!;
    const planId = buttonsOf(m.msg)[0]!.value!;
    await press(app, { user: APPROVER, channel: CHANNEL, ts: planTs, value: planId });
    await waitFor(
      () => chat.thread(planTs).some((x) => /Plan \S+ (failed|succeeded)\* on/.test(textOf(x.msg))),
      90_000,
      'the before/after summary in the thread',
    );
    const thread = chat
      .thread(planTs)
      .map((x) => textOf(x.msg))
      .join('\n');
    expect(thread).toMatch(/Plan \S+ failed\* on it/);
    expect(thread).toContain(
      `slot ${slot}: 1 key on ${other.addr} (${other.id.slice(0, 8)}), which does not own it`,
    );
    expect((await app.store.get(planId))?.status).toBe('failed');
  });
});
