/**
 * Issue 19, part 6 — small truths a new user checks, end to end: the app as `npm start` runs it (HTTP mode,
 * Bolt's real receiver, signed requests, the Slack Web API stand-in), a real master with two replicas watched
 * by three real Sentinels, configured through a clusters file with `sentinels` / `sentinelMaster`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import type { NodeCommander } from '../../src/core/ports.ts';
import type { RunningApp } from '../../src/main.ts';
import {
  missingKeys,
  type ReplicationSet,
  replication,
  type Sentinels,
  startReplicationSet,
  startSentinels,
  waitUntil,
  writeAcknowledged,
} from '../integration/standalone-support.ts';
import { type LocalRedis, startRedis } from '../support/redis-cluster.ts';
import { flattenBlocks, type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { clustersFiles, hasPlan, postAfterCommand, startHttpApp } from './chatops-support.ts';
import { answersFor, findButton, latestText, type SlackClientSim, waitForPlanEnd } from './support.ts';

const SECRET = 'e2e-signing-secret-truths';
const CHANNEL = 'C0ORDERS';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';

/** `SENTINEL REPLICAS` priority of `addr` on every Sentinel. */
async function sentinelPriorities(c: NodeCommander, s: Sentinels, addr: string): Promise<number[]> {
  return Promise.all(
    s.addrs.map(async (a) => {
      const reply = (await c.call(a, ['SENTINEL', 'REPLICAS', 'orders'])) as string[][];
      const entry = reply.find((r) => `${r[r.indexOf('ip') + 1]}:${r[r.indexOf('port') + 1]}` === addr);
      return entry ? Number(entry[entry.indexOf('slave-priority') + 1]) : -1;
    }),
  );
}

describe('a master/replica set under Sentinel, over Slack HTTP mode', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let set: ReplicationSet;
  let sentinels: Sentinels;
  let commander: NodeCommander;
  let app: RunningApp;
  let sim: SlackClientSim;
  const files = clustersFiles('truths');

  beforeAll(async () => {
    commander = createNodeCommander({});
    [slack, control, set] = await Promise.all([startSlackStandIn(), startRedis(), startReplicationSet(2)]);
    const c = commander;
    sentinels = await startSentinels(set.master, 'orders', 2, { cli: (addr, ...args) => c.call(addr, args) });
    const file = files.write([
      '  - name: orders',
      `    seeds: [${set.master.addr}]`,
      `    sentinels: [${sentinels.addrs.join(', ')}]`,
      '    sentinelMaster: orders',
    ]);
    ({ app, sim } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      clustersFile: file,
      approvers: [APPROVER],
    }));
  });

  afterAll(async () => {
    await app?.close();
    await commander?.close();
    await Promise.all([slack?.close(), control?.stop(), sentinels?.stop(), set?.stop()]);
    files.remove();
  });

  it('status: the notification text counts 1 master and 2 replicas, and the blocks say what Sentinel says', async () => {
    await sim.command(ASKER, CHANNEL, 'status');
    const msg = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => m.text.startsWith('Redis orders')),
      'the status message',
    );
    expect(msg.text).toContain('1 master, 2 replicas');
    const blocks = flattenBlocks(msg.blocks);
    expect(blocks).toMatch(
      new RegExp(
        `Sentinel "orders": 3 of 3 answer, all name \\*${set.master.addr}\\* as master \\(quorum 2 holds\\)`,
      ),
    );
  });

  it('diagnose while the same plan is open points to that plan instead of posting a second one', async () => {
    await sim.command(ASKER, CHANNEL, 'diagnose');
    const plan = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
      'the plan message',
    );
    const planId = findButton(plan, 'plan_approve')!.value;
    const again = await sim.command('U0SECOND', CHANNEL, 'diagnose');
    const answer = await slack.waitFor(
      () => answersFor(slack, again.responseUrl).find((t) => t.includes('already open')),
      'the answer to the second diagnose',
    );
    expect(answer).toContain(planId);
    expect(answer).toContain(`https://slack.com/archives/${CHANNEL}/p${plan.ts.replace('.', '')}`);
    expect(slack.channelMessages(CHANNEL).filter((m) => findButton(m, 'plan_approve'))).toHaveLength(1);
    // Withdrawn, so the next test starts from no open plan.
    await sim.click(APPROVER, plan, 'plan_reject', planId);
    await slack.waitFor(() => /Rejected/i.test(latestText(slack.message(CHANNEL, plan.ts))), 'the rejection');
  });

  it('failover <replica> under Sentinel promotes that replica: a visible replica-priority step, restored afterwards', async () => {
    const [r1, r2] = set.replicas as [LocalRedis, LocalRedis];
    // Left alone, Sentinel would pick r1: its priority (10) beats r2's (100).
    await r1.call('CONFIG', 'SET', 'replica-priority', '10');
    await waitUntil(
      'the Sentinels to see priority 10 on r1',
      async () => (await sentinelPriorities(commander, sentinels, r1.addr)).every((p) => p === 10),
      30_000,
      250,
    );
    const keys = await writeAcknowledged(set.master, 'order', 50, 2);
    const plan = await postAfterCommand(
      slack,
      sim,
      { user: ASKER, channel: CHANNEL, text: `failover ${r2.addr}` },
      hasPlan,
      'the failover plan',
    );
    const text = latestText(plan);
    expect(text).toContain(`${r1.addr} CONFIG SET replica-priority 0`);
    expect(text).toContain('SENTINEL FAILOVER orders');
    expect(text).toContain(`${r1.addr} CONFIG SET replica-priority 10`);
    expect(text.indexOf('replica-priority 0')).toBeLessThan(text.indexOf('SENTINEL FAILOVER'));
    expect(text.indexOf('SENTINEL FAILOVER')).toBeLessThan(text.indexOf('replica-priority 10'));

    await sim.click(APPROVER, plan, 'plan_approve', findButton(plan, 'plan_approve')!.value);
    const end = await waitForPlanEnd(slack, CHANNEL, plan.ts, 110_000);
    expect(end).toContain('*Succeeded*');

    expect(await sentinels.masterAddrs()).toEqual([r2.addr, r2.addr, r2.addr]);
    expect((await replication(r2)).role).toBe('master');
    expect(await r1.call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '10']);
    expect(await missingKeys(r2, keys)).toEqual([]);
    const thread = slack
      .thread(CHANNEL, plan.ts)
      .map((m) => latestText(m))
      .join('\n');
    expect(thread).toContain('(the chosen replica)');
  }, 150_000);
});
