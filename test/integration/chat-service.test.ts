import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposedApp } from '../../src/compose.ts';
import { composeOnCluster, press } from '../support/chat-on-cluster.ts';
import { buttonsOf, memoryChat, responder, textOf, waitFor } from '../support/memory-chat.ts';
import {
  type LocalCluster,
  type LocalRedis,
  startLocalCluster,
  startRedis,
  waitForPromotionAgreed,
} from '../support/redis-cluster.ts';

const CHANNEL = 'C0INCIDENT';
const ASKER = 'U0ASKER';
const APPROVER = 'U0SECOND';

describe('ChatService on a real cluster, control Redis, queue and worker', () => {
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: ComposedApp;
  const chat = memoryChat();
  /** The cluster's seeds, shared with the registry: a restarted pod's new address is added, as pod discovery would. */
  const seeds: string[] = [];

  beforeAll(async () => {
    control = await startRedis();
    cluster = await startLocalCluster({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
    });
    seeds.push(...cluster.addrs());
    app = await composeOnCluster(control, cluster, chat, {
      channel: CHANNEL,
      approvers: [ASKER, APPROVER],
      prefix: 'it',
      seeds,
    });
  });

  afterAll(async () => {
    if (process.env.DUMP_CHAT)
      for (const [ts, m] of chat.messages)
        console.log(ts, m.threadTs ?? '', m.edits, JSON.stringify(m.msg, null, 1));
    await app?.close();
    await cluster?.stop();
    await control?.stop();
  });

  it('refuses a channel that is not allowed, briefly and only to the user', async () => {
    const r = responder();
    await app.chatService.handleCommand({
      user: ASKER,
      channel: 'C0RANDOM',
      text: 'status',
      respond: r.respond,
    });
    expect(r.said).toHaveLength(1);
    expect(r.last()?.ephemeral).toBe(true);
    expect(textOf(r.last()?.msg)).toContain('does not take commands in this channel');
  });

  it('answers bad input with what was wrong, the usage and a suggestion', async () => {
    const r = responder();
    await app.chatService.handleCommand({
      user: ASKER,
      channel: CHANNEL,
      text: 'diagnsoe',
      respond: r.respond,
    });
    expect(r.last()?.ephemeral).toBe(true);
    const t = textOf(r.last()?.msg);
    expect(t).toContain('unknown sub-command');
    expect(t).toContain('Did you mean `/redis diagnose`?');
    expect(t).toContain('/redis status');
  });

  it('names the known clusters when asked about an unknown one', async () => {
    const r = responder();
    await app.chatService.handleCommand({
      user: ASKER,
      channel: CHANNEL,
      text: 'status --cluster nope',
      respond: r.respond,
    });
    expect(textOf(r.last()?.msg)).toContain('unknown cluster "nope": known clusters are it');
  });

  it('posts status of a healthy cluster in the channel', async () => {
    const r = responder();
    const before = chat.messages.size;
    await app.chatService.handleCommand({
      user: ASKER,
      channel: CHANNEL,
      text: 'status',
      respond: r.respond,
    });
    expect(r.said).toHaveLength(0);
    const posted = [...chat.messages.values()].slice(before);
    expect(posted).toHaveLength(1);
    expect(textOf(posted[0]?.msg)).toContain('Redis it: ok');
    expect(textOf(posted[0]?.msg)).toContain('cluster_state:ok');
    expect(textOf(posted[0]?.msg)).toContain('3 (3 healthy)');
  });

  it('answers status within the scan deadline while a node is frozen', async () => {
    const node = cluster.replicas()[2]!;
    cluster.freeze(node);
    try {
      const r = responder();
      const t0 = Date.now();
      await app.chatService.handleCommand({
        user: ASKER,
        channel: CHANNEL,
        text: 'status',
        respond: r.respond,
      });
      expect(Date.now() - t0).toBeLessThan(3 * 500 + 1000);
      const last = [...chat.messages.values()].at(-1);
      expect(textOf(last?.msg)).toContain(node.addr);
    } finally {
      cluster.thaw(node);
    }
    await cluster.waitHealthy(20_000);
  });

  it('answers every one of 300 generated commands and clicks, and never throws', async () => {
    const words = fc.constantFrom(
      'status',
      'diagnose',
      'plans',
      'cancel',
      'audit',
      'clusters',
      'help',
      'chaos',
      'failover',
      'forget',
      'join',
      'restart',
      '--cluster',
      'it',
      'nope',
      'force',
      'takeover',
      'replica-of',
      '127.0.0.1:1',
      'p-zzzzzzzzzz',
      'abcdef',
      '0',
      '5',
      'kill-master',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.array(fc.oneof(words, fc.string({ maxLength: 8 })), { maxLength: 5 }).map((a) => a.join(' ')),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (t, click) => {
        let r = responder();
        const before = chat.messages.size;
        if (click)
          r = await press(app, {
            user: APPROVER,
            channel: CHANNEL,
            ts: '1.1',
            actionId: t.length % 2 ? 'plan_approve' : t.slice(0, 20) || 'x',
            value: t,
          });
        else
          await app.chatService.handleCommand({ user: ASKER, channel: CHANNEL, text: t, respond: r.respond });
        expect(r.said.length + (chat.messages.size - before)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  describe('when a master pod is replaced (write-ups 000 and 004)', () => {
    let planTs = '';
    let planId = '';

    beforeAll(async () => {
      const master = cluster.masters()[0]!;
      const replica = cluster.replicasOf(master)[0]!;
      await cluster.waitFor(
        async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
        20_000,
        'the replica link',
      );
      // The pod restarts without its nodes.conf and with a new IP: a fresh node at a new address, alone.
      // (At the same address Redis 7.0 marks the old id `noaddr` and never fails it: no promotion at all.)
      await cluster.kill(master);
      const fresh = await cluster.startFreshNode();
      seeds.push(fresh.addr);
      await cluster.waitFor(
        async () => (await cluster.roleOf(replica)) === 'master',
        20_000,
        'the promotion',
      );
      // Every live member agrees: the cluster serves every slot again and knows the replica as a master.
      await waitForPromotionAgreed(cluster, replica);
    });

    it('diagnose posts the plan with Approve / Reject buttons and confirm dialogs', async () => {
      const r = responder();
      await app.chatService.handleCommand({
        user: ASKER,
        channel: CHANNEL,
        text: 'diagnose',
        respond: r.respond,
      });
      expect(r.said.map((s) => textOf(s.msg))).toEqual([]);
      const entry = [...chat.messages.entries()].reverse().find(([, m]) => buttonsOf(m.msg).length > 0);
      expect(entry).toBeDefined();
      const [ts, m] = entry!;
      planTs = ts;
      const [approve, reject] = buttonsOf(m.msg);
      expect(approve?.action_id).toBe('plan_approve');
      expect(reject?.action_id).toBe('plan_reject');
      planId = approve!.value!;
      expect(approve?.confirm?.title.text).toContain('it');
      expect(textOf(m.msg)).toMatch(/CLUSTER FORGET/);
      expect(textOf(m.msg)).toMatch(/CLUSTER MEET/);
      expect(textOf(m.msg)).toMatch(/CLUSTER REPLICATE/);
      const rec = await app.store.get(planId);
      expect(rec?.chatRef).toMatchObject({ channel: CHANNEL, ts: planTs });
    });

    it('tells the asker, and only the asker, that they cannot approve their own plan', async () => {
      const r = await press(app, { user: ASKER, channel: CHANNEL, ts: planTs, value: planId });
      expect(r.last()?.ephemeral).toBe(true);
      expect(textOf(r.last()?.msg)).toContain('another approver must approve it');
      expect((await app.store.get(planId))?.status).toBe('proposed');
    });

    it('tells a non-approver why nothing happened', async () => {
      const r = await press(app, { user: 'U0NOBODY', channel: CHANNEL, ts: planTs, value: planId });
      expect(textOf(r.last()?.msg)).toContain('You are not in APPROVERS');
      expect((await app.store.get(planId))?.status).toBe('proposed');
    });

    it('a second diagnose while this identical plan is open points to it instead of posting a second one', async () => {
      const before = [...chat.messages.values()].filter((m) => buttonsOf(m.msg).length > 0).length;
      const r = responder();
      await app.chatService.handleCommand({
        user: APPROVER,
        channel: CHANNEL,
        text: 'diagnose',
        respond: r.respond,
      });
      expect([...chat.messages.values()].filter((m) => buttonsOf(m.msg).length > 0).length).toBe(before);
      const said = textOf(r.last()?.msg);
      expect(said).toContain('the same plan is already open');
      expect(said).toContain(planId);
      // The first plan stays approvable.
      expect((await app.store.get(planId))?.status).toBe('proposed');
    });

    it('runs once a second person approves: plan updated in place, progress and summary in the thread, cluster healthy', async () => {
      const r = await press(app, { user: APPROVER, channel: CHANNEL, ts: planTs, value: planId });
      expect(textOf(r.last()?.msg)).toContain(`Approved by <@${APPROVER}>`);

      await waitFor(
        () => chat.thread(planTs).some((m) => /Plan \S+ succeeded/.test(m.msg.text)),
        60_000,
        'the summary in the thread',
      );
      await app.chatService.idle();
      const planMsg = chat.messages.get(planTs)!;
      expect(planMsg.edits).toBeGreaterThan(0);
      expect(textOf(planMsg.msg)).toContain('*Succeeded*');
      expect(buttonsOf(planMsg.msg)).toHaveLength(0);

      const thread = chat.thread(planTs);
      const progress = thread.find(
        (m) => m.msg.text.includes('steps done') || /: succeeded —/.test(m.msg.text),
      );
      expect(progress).toBeDefined();
      expect(textOf(progress?.msg)).toContain('3/3');
      const summary = thread.at(-1)!;
      expect(summary.msg.text).toMatch(/succeeded/);
      expect(textOf(summary.msg)).toContain('*Before*');
      expect(textOf(summary.msg)).toContain('*After*');
      // The summary waits for gossip to settle: no CLUSTERDOWN or disagreement right after the last step.
      expect(textOf(summary.msg)).toMatch(/no critical finding|healthy: no findings/);
      expect(textOf(summary.msg)).not.toMatch(/disagree/);

      await cluster.waitHealthy(30_000);
    });

    it('audit shows who asked and who approved', async () => {
      const r = responder();
      await app.chatService.handleCommand({
        user: ASKER,
        channel: CHANNEL,
        text: `audit ${planId}`,
        respond: r.respond,
      });
      const t = textOf(r.last()?.msg);
      expect(t).toContain('*proposed*');
      expect(t).toContain(`<@${APPROVER}> *approval*`);
      expect(t).toContain('*result*');
    });

    it('lets the watcher open an incident and reply in its thread through the same messages', async () => {
      const entry = app.clusters.get('it');
      const topology = await entry.source.scan({ timeoutMs: 500 });
      const poster = app.chatService.watchPoster;
      const opened = await poster.openIncident({
        cluster: 'it',
        channel: CHANNEL,
        topology,
        findings: [],
        lines: [':rotating_light: Cluster *it* degraded 12s ago.'],
      });
      expect(textOf(chat.messages.get(opened.ts)?.msg)).toContain('degraded 12s ago');
      expect(opened.planId).toBeUndefined();
      await poster.reply({ cluster: 'it', channel: CHANNEL, threadTs: opened.ts, lines: ['• all clear'] });
      expect(chat.thread(opened.ts).map((m) => m.msg.text)).toEqual(['• all clear']);
      await poster.updateRoot({
        cluster: 'it',
        channel: CHANNEL,
        ts: opened.ts,
        lines: ['recovered by itself'],
      });
      expect(textOf(chat.messages.get(opened.ts)?.msg)).toContain('recovered by itself');
    });

    it('plans lists it as succeeded, and clusters shows the cluster healthy again', async () => {
      const r = responder();
      await app.chatService.handleCommand({
        user: ASKER,
        channel: CHANNEL,
        text: 'plans',
        respond: r.respond,
      });
      expect(textOf(r.last()?.msg)).toContain(planId);
      expect(textOf(r.last()?.msg)).toContain('succeeded');
      await app.chatService.handleCommand({
        user: ASKER,
        channel: CHANNEL,
        text: 'clusters',
        respond: r.respond,
      });
      expect(textOf(r.last()?.msg)).toMatch(/\*it\* — (healthy|ok, with warnings)/);
    });
  });
});
