/**
 * Watch mode (issue 9), end to end: the app started as `npm start` starts it (HTTP mode, Bolt's real receiver,
 * the Slack Web API stand-in), a real Redis Cluster and a real control Redis. Nobody types a command: the bot
 * speaks first in WATCH_CHANNEL, and an approver's signed click heals the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import type { LocalCluster, LocalNode, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import {
  appEnv,
  findButton,
  latestText,
  SlackClientSim,
  startBackends,
  startTestApp,
  stopAll,
} from './support.ts';

const SECRET = 'e2e-signing-secret-watch';
const WATCH_CHANNEL = 'C0WATCH';
const APPROVER = 'U0APPROVER';
const GRACE_S = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watch mode over Slack HTTP mode', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  let freshPort: number;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
    }));
    freshPort = await pickFreePort('127.0.0.1');
    app = await startTestApp(
      appEnv({
        slack,
        mode: 'http',
        signingSecret: SECRET,
        controlUrl: control.url,
        // The replacement pod's address is known from the start, like a headless Service's.
        seeds: [...cluster.addrs(), `127.0.0.1:${freshPort}`],
        approvers: [APPROVER],
        extra: { WATCH_CHANNEL, WATCH_INTERVAL: '1', WATCH_GRACE: String(GRACE_S) },
      }),
    );
    sim = new SlackClientSim(slack, `http://127.0.0.1:${app.port}/slack/events`, SECRET);
  });

  afterAll(async () => {
    // E2E_DUMP=1: print what the channel showed, to read the bot's words.
    if (process.env.E2E_DUMP && slack)
      for (const m of slack.messages.filter((x) => x.channel === WATCH_CHANNEL))
        process.stdout.write(
          `--- ${m.threadTs ? `  reply in ${m.threadTs}` : 'ROOT'} ${m.ts} (${m.edits.length} edits)\n${latestText(m)}\n`,
        );
    await stopAll(app, { slack, control, cluster });
  });

  /** Everything the channel shows: top-level messages and their threads, latest versions. */
  const channelText = () =>
    slack
      .channelMessages(WATCH_CHANNEL)
      .flatMap((m) => [m, ...slack.thread(WATCH_CHANNEL, m.ts)])
      .map(latestText)
      .join('\n');

  it('says nothing while the cluster is healthy (no persistence is a risk `status` shows, not an incident)', async () => {
    const [master] = cluster.masters();
    const [replica] = master ? cluster.replicasOf(master) : [];
    if (!replica) throw new Error('no replica');
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
    await sleep(3500);
    expect(slack.channelMessages(WATCH_CHANNEL)).toEqual([]);
  });

  describe('when a master pod is replaced (Redis promotes its replica; the new pod comes up empty, alone)', () => {
    let master: LocalNode;
    let replica: LocalNode;
    let root: StoredMessage;
    let killedAt: number;

    beforeAll(async () => {
      const m = cluster.masters()[0];
      const r = m ? cluster.replicasOf(m)[0] : undefined;
      if (!m || !r) throw new Error('no master with a replica');
      master = m;
      replica = r;
      killedAt = Date.now();
      await cluster.kill(master);
      await cluster.waitFor(
        async () => (await cluster.roleOf(replica)) === 'master',
        30_000,
        'replica promoted',
      );
      await cluster.startFreshNode({ port: freshPort });
    });

    it('opens exactly one thread in WATCH_CHANNEL, without anyone typing a command', async () => {
      root = await slack.waitFor(
        () => slack.channelMessages(WATCH_CHANNEL)[0],
        'the watcher’s first message',
        60_000,
      );
      expect(
        slack.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel !== WATCH_CHANNEL),
      ).toBe(false);
      expect(latestText(root)).toMatch(/degraded/);
    });

    it('names the failed node, the promotion and the node outside the cluster, and carries a plan', async () => {
      const fresh = `127.0.0.1:${freshPort}`;
      await slack.waitFor(
        () => (channelText().includes(fresh) && /outside the cluster/.test(channelText()) ? true : undefined),
        'the new node named in the thread',
        30_000,
      );
      const text = channelText();
      expect(text).toContain(master.addr);
      expect(text).toMatch(new RegExp(`promoted replica ${replica.addr.replace(/\./g, '\\.')}`));
      expect(text).toMatch(/outside the cluster/);
      // The plan to approve: the newest one still open for votes, with its buttons, exactly as `diagnose` posts it.
      const plan = await slack.waitFor(() => openPlan(), 'a plan with Approve / Reject', 30_000);
      const planText = latestText(plan);
      expect(planText).toMatch(/forget/i);
      expect(planText).toContain(fresh);
      expect(findButton(plan, 'plan_reject')?.value).toBe(findButton(plan, 'plan_approve')?.value);
      expect(planText).toContain('watcher');
    });

    it('heals the cluster once an approver approves, and ends the thread with the all-clear and the duration', async () => {
      const plan = openPlan();
      if (!plan) throw new Error('no open plan');
      const planId = findButton(plan, 'plan_approve')?.value ?? '';
      const res = await sim.click(APPROVER, plan, 'plan_approve', planId);
      expect(res.status).toBe(200);

      const allClear = await slack.waitFor(
        () => slack.thread(WATCH_CHANNEL, root.ts).find((m) => /All clear/.test(latestText(m))),
        'the all-clear in the thread',
        120_000,
      );
      await cluster.waitHealthy(30_000);
      const thread = slack.thread(WATCH_CHANNEL, root.ts);
      expect(thread.at(-1)).toBe(allClear);
      expect(latestText(allClear)).toMatch(/The incident lasted (\d+s|\d+m \d+s)\./);
      const lasted = /lasted (?:(\d+)m )?(\d+)s/.exec(latestText(allClear));
      const seconds = Number(lasted?.[1] ?? 0) * 60 + Number(lasted?.[2] ?? 0);
      expect(seconds * 1000).toBeLessThanOrEqual(Date.now() - killedAt + 1000);
      expect(seconds).toBeGreaterThan(0);
      // The plan's own report is in the same thread, before the all-clear.
      const threadText = thread.map(latestText).join('\n');
      expect(threadText).toMatch(/succeeded/);
      expect(latestText(slack.message(plan.channel, plan.ts))).toMatch(/succeeded/i);
      expect(slack.channelMessages(WATCH_CHANNEL)).toHaveLength(1);
    });

    /** The newest plan message (root or thread) whose Approve button is still there. */
    function openPlan(): StoredMessage | undefined {
      return [root, ...slack.thread(WATCH_CHANNEL, root.ts)]
        .filter((m) => findButton(m, 'plan_approve'))
        .at(-1);
    }
  });

  describe('when a node freezes for less than WATCH_GRACE, then thaws', () => {
    it('produces at most one message', async () => {
      await cluster.waitHealthy(30_000);
      await sleep(2500); // the watcher has seen the healed cluster
      const before = slack.messages.filter((m) => m.channel === WATCH_CHANNEL).length;
      // A node that is a replica now (the repair above changed who is what).
      let node: LocalNode | undefined;
      for (const n of cluster.all().filter((x) => x.state === 'running'))
        if ((await cluster.roleOf(n)) === 'replica') node = n;
      if (!node) throw new Error('no running replica');
      cluster.freeze(node);
      try {
        // Long enough for the other nodes to flag it failed (cluster-node-timeout 1 s), well under the grace.
        await cluster.waitFor(
          async () => {
            const other = cluster.masters().find((m) => m.state === 'running');
            return other ? (await cluster.cli(other, 'CLUSTER', 'NODES')).includes('fail') : false;
          },
          10_000,
          'the frozen node flagged',
        );
        await sleep(1000);
      } finally {
        cluster.thaw(node);
      }
      await cluster.waitHealthy(30_000);
      // Wait past the grace period: a late message would show up by then.
      await sleep(GRACE_S * 1000 + 3000);
      const after = slack.messages.filter((m) => m.channel === WATCH_CHANNEL).slice(before);
      expect(after.length).toBeLessThanOrEqual(1);
    });
  });

  describe('when a whole shard freezes (master and replica) for less than WATCH_GRACE, then thaws', () => {
    it('speaks at once (slots are down), then rewrites that one message in place when it recovers', async () => {
      await cluster.waitHealthy(30_000);
      await sleep(2500);
      const before = slack.channelMessages(WATCH_CHANNEL).length;
      const repliesBefore = slack.messages.filter((m) => m.channel === WATCH_CHANNEL && m.threadTs).length;
      const master = cluster.masters().find((m) => m.state === 'running' && cluster.replicasOf(m).length > 0);
      const shard = master ? [master, ...cluster.replicasOf(master)] : [];
      if (shard.length < 2) throw new Error('no master with a replica left');
      for (const n of shard) cluster.freeze(n);
      let root: StoredMessage;
      try {
        root = await slack.waitFor(
          () => slack.channelMessages(WATCH_CHANNEL)[before],
          'the watcher’s message about the frozen shard',
          20_000,
        );
      } finally {
        for (const n of shard) cluster.thaw(n);
      }
      expect(latestText(root)).toMatch(/degraded/);
      const recovered = await slack.waitFor(
        () => {
          const m = slack.message(WATCH_CHANNEL, root.ts);
          return m && /recovered by itself/.test(latestText(m)) ? m : undefined;
        },
        'the same message rewritten',
        GRACE_S * 1000 + 20_000,
      );
      expect(recovered.edits.length).toBeGreaterThan(0);
      expect(findButton(recovered, 'plan_approve')).toBeUndefined();
      await sleep(3000);
      expect(slack.channelMessages(WATCH_CHANNEL)).toHaveLength(before + 1);
      const replies = slack.messages
        .filter((m) => m.channel === WATCH_CHANNEL && m.threadTs)
        .slice(repliesBefore);
      expect(replies.map(latestText).filter((t) => /All clear/.test(t))).toEqual([]);
    });
  });

  it('stayed within Block Kit limits in everything it posted', () => {
    expect(slack.calls.filter((c) => /invalid_blocks/.test(c.error ?? ''))).toEqual([]);
  });
});
