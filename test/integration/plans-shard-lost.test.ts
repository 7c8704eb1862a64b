/**
 * A master and its only replica gone for good (issue 14, part 4), through the chat service with the real
 * control Redis, queue and worker: plain diagnose says to bring it back and how to get the way forward;
 * `diagnose --accept-data-loss` proposes giving its slots away, marked data loss, with two approvers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiagnose } from '../../src/cli/diagnose.ts';
import type { ComposedApp } from '../../src/compose.ts';
import { press, startAppOnCluster, stopAppOnCluster } from '../support/chat-on-cluster.ts';
import { buttonsOf, memoryChat, responder, textOf, waitFor } from '../support/memory-chat.ts';
import type { LocalCluster, LocalNode, LocalRedis } from '../support/redis-cluster.ts';
import { clusterClient, missingKeys, waitReplicasCaughtUp, writeKeys } from './plans-support.ts';

const CHANNEL = 'C0SHARD';
const ASKER = 'U0ONCALL';
const FIRST = 'U0LEAD';
const SECOND = 'U0SRE';

describe('a master and its only replica gone for good', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: ComposedApp;
  let lost: LocalNode[];
  let written: Map<string, string>;
  /** The lost master's slots, as it served them: [start, end]. */
  let lostSlots: [number, number];
  const chat = memoryChat();

  beforeAll(async () => {
    ({ control, cluster, app } = await startAppOnCluster(chat, {
      channel: CHANNEL,
      approvers: [FIRST, SECOND],
      prefix: 'shard',
    }));
    written = await writeKeys(cluster, 300);
    await waitReplicasCaughtUp(cluster);
    const master = cluster.masters()[1]!;
    lost = [master, ...cluster.replicasOf(master)];
    const mine = (await cluster.cli(master, 'CLUSTER', 'NODES'))
      .split('\n')
      .find((l) => l.includes('myself'))!;
    const [start, end] = mine.split(' ')[8]!.split('-').map(Number);
    lostSlots = [start!, end!];
    await Promise.all(lost.map((n) => cluster.kill(n)));
    const survivors = cluster.nodes.filter((n) => !lost.includes(n));
    await cluster.waitFor(
      async () => {
        for (const s of survivors) {
          const lines = (await cluster.cli(s, 'CLUSTER', 'NODES')).split('\n');
          const failed = (id: string) =>
            lines.some((l) => l.startsWith(id) && l.split(' ')[2]!.split(',').includes('fail'));
          if (!lost.every((n) => failed(n.id))) return false;
        }
        return true;
      },
      20_000,
      'every survivor to flag the lost master and replica failed',
    );
  });

  afterAll(async () => {
    await stopAppOnCluster({ app, cluster, control });
  });

  const say = async (text: string) => {
    const before = chat.messages.size;
    const r = responder();
    await app.chatService.handleCommand({ user: ASKER, channel: CHANNEL, text, respond: r.respond });
    expect(r.said.map((s) => textOf(s.msg))).toEqual([]);
    return [...chat.messages.entries()].slice(before);
  };

  it('plain diagnose proposes nothing: bring it back, and says how to get the way forward', async () => {
    const posted = await say('diagnose');
    expect(posted).toHaveLength(1);
    const [, m] = posted[0]!;
    // No Approve: nothing is proposed by default.
    expect(buttonsOf(m.msg).map((b) => b.action_id)).toEqual(['diagnose_accept_data_loss']);
    const text = textOf(m.msg);
    expect(text).toContain('bring it back with its data');
    expect(text).toContain('/redis diagnose --accept-data-loss');
    expect(text).toContain(lost[0]!.addr);
    // The second, clearly labelled way: a button that proposes the data-loss plan (which still needs two approvers).
    const [offer] = buttonsOf(m.msg);
    expect(offer).toMatchObject({ action_id: 'diagnose_accept_data_loss', value: 'it', style: 'danger' });
    expect(offer!.text.text).toBe('Propose the data-loss plan (2 approvers)');
    const before = chat.messages.size;
    await press(app, {
      user: ASKER,
      channel: CHANNEL,
      ts: posted[0]![0],
      actionId: 'diagnose_accept_data_loss',
      value: 'it',
    });
    const proposed = [...chat.messages.values()].slice(before).find((x) => buttonsOf(x.msg).length === 2);
    expect(proposed).toBeDefined();
    const id = buttonsOf(proposed!.msg)[0]!.value!;
    expect((await app.store.get(id))?.plan.risk).toBe('data-loss');
    // Withdrawn: the typed command below proposes the one this test approves.
    await say(`cancel ${id}`).catch(() => undefined);
    expect((await app.store.get(id))?.status).toBe('cancelled');
  });

  it('the CLI says the same, and with --accept-data-loss prints the plan and its keys at risk', async () => {
    const cli = async (...args: string[]) => {
      let out = '';
      const code = await runDiagnose(['--nodes', cluster.addrs().join(','), '--timeout', '500', ...args], {
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          out += t;
        },
        env: {},
      });
      return { code, out };
    };
    const plain = await cli();
    expect(plain.code).toBe(1);
    expect(plain.out).toContain('No plan:');
    expect(plain.out).toContain('--accept-data-loss');
    const accepted = await cli('--accept-data-loss');
    expect(accepted.code).toBe(1);
    expect(accepted.out).toContain('risk data-loss · 2 approver(s) · 3 step(s)');
    expect(accepted.out).toContain(
      `keys at risk: keys in slots ${lostSlots.join('-')}: unknown — nobody can count them`,
    );
  });

  let planTs = '';
  let planId = '';

  it('diagnose --accept-data-loss proposes it, marked data loss, two approvers, keys at risk unknown', async () => {
    const posted = await say('diagnose --accept-data-loss');
    const entry = posted.find(([, m]) => buttonsOf(m.msg).length > 0);
    expect(entry).toBeDefined();
    [planTs] = entry!;
    planId = buttonsOf(entry![1].msg)[0]!.value!;
    const rec = await app.store.get(planId);
    expect(rec?.plan.risk).toBe('data-loss');
    expect(rec?.approvalsNeeded).toBe(2);
    expect(rec?.plan.steps.map((s) => s.kind)).toEqual(['forget', 'fix-slots', 'forget']);
    const text = textOf(entry![1].msg);
    expect(text).toContain('needs *two different approvers*');
    expect(text).toContain(`keys in slots ${lostSlots.join('-')}: unknown — nobody can count them`);
    expect(text).toContain(`${lost[0]!.addr} (${lost[0]!.id.slice(0, 8)}) held them and is down`);
  });

  it('one approval does not run it', async () => {
    const r = await press(app, { user: FIRST, channel: CHANNEL, ts: planTs, value: planId });
    expect(textOf(r.last()?.msg)).toContain('waiting for a second approver');
    await app.chatService.idle();
    expect((await app.store.get(planId))?.status).toBe('proposed');
    expect(await cluster.cli(cluster.masters()[0]!, 'CLUSTER', 'INFO')).toContain('cluster_state:fail');
    expect(textOf(chat.messages.get(planTs)?.msg)).toContain('waiting for a second approver');
  });

  it('two do: every slot served again, every key of the surviving masters readable, the thread says so', async () => {
    await press(app, { user: SECOND, channel: CHANNEL, ts: planTs, value: planId });
    await waitFor(
      () => chat.thread(planTs).some((m) => /Plan \S+ succeeded/.test(m.msg.text)),
      90_000,
      'the summary in the thread',
    );
    await app.chatService.idle();
    expect(textOf(chat.messages.get(planTs)?.msg)).toContain('*Succeeded*');
    const thread = chat
      .thread(planTs)
      .map((m) => textOf(m.msg))
      .join('\n');
    expect(thread).toContain('3/3');
    expect(thread).toMatch(/no critical finding|healthy: no findings/);

    await cluster.waitFor(
      async () => {
        for (const n of cluster.nodes.filter((x) => x.state === 'running')) {
          const info = await cluster.cli(n, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      30_000,
      'every live node to serve all 16384 slots',
    );
    // The keys of the lost slots are gone (the plan said so); every other key reads back through a cluster client.
    const c = clusterClient(cluster);
    const survived = new Map<string, string>();
    try {
      for (const [k, v] of written) {
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', k));
        if (slot < lostSlots[0] || slot > lostSlots[1]) survived.set(k, v);
      }
      expect(await c.set('after-repair', 'yes')).toBe('OK');
    } finally {
      c.disconnect();
    }
    expect(survived.size).toBeGreaterThan(100);
    expect(await missingKeys(cluster, survived)).toEqual([]);
  });
});
