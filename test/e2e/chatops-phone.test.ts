/**
 * Messages that read well on a phone (issue 19, part 2), end to end: the app as `npm start` runs it (HTTP mode,
 * signed requests, the Slack Web API stand-in that checks Block Kit), a real Redis Cluster whose master pod was
 * replaced (a dead id to forget on every node).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalNode, LocalRedis } from '../support/redis-cluster.ts';
import { flattenBlocks, type SlackStandIn, type StoredMessage } from '../support/slack-stand-in.ts';
import { hasPlan, postAfterCommand, startWithReplacedPod } from './chatops-support.ts';
import { latestText, type SlackClientSim, stopAll } from './support.ts';

const SECRET = 'e2e-signing-secret-phone';
const CHANNEL = 'C0PHONE';
const ASKER = 'U0ONCALL';

const blockText = (m: StoredMessage, i: number) => flattenBlocks([m.blocks[i]]);

describe('phone-first messages', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  let dead: LocalNode;

  beforeAll(async () => {
    ({ slack, control, cluster, app, sim, dead } = await startWithReplacedPod(SECRET));
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
  });

  it('status: cluster and verdict first, then the findings; healthy shards in one line, problem nodes each their own', async () => {
    await sim.command(ASKER, CHANNEL, 'status');
    const msg = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => m.text.startsWith('Redis default')),
      'the status',
    );
    expect(blockText(msg, 0)).toMatch(/Redis default: (needs attention|ok, with warnings)/);
    expect(blockText(msg, 1)).toMatch(/\*(critical|warning)\*/);
    const text = latestText(msg);
    expect(text, text).toContain('4 nodes healthy (2 shards');
    expect(text).toContain(dead.addr);
    expect(text).toContain('_no replica_');
  });

  it('diagnose: buttons right under the summary, one line per many-node command, the exact list in the thread', async () => {
    const plan = await postAfterCommand(
      slack,
      sim,
      { user: ASKER, channel: CHANNEL, text: 'diagnose' },
      hasPlan,
      'the plan',
    );
    const types = plan.blocks.map((b) => (b as { type: string }).type);
    const votes = types.indexOf('actions');
    const firstStep = plan.blocks.findIndex((b) => flattenBlocks([b]).includes('*1/'));
    expect(votes).toBeGreaterThan(0);
    expect(firstStep).toBeGreaterThan(votes);
    expect(plan.text).toContain('default');
    const text = latestText(plan);
    const forgetLine = /CLUSTER FORGET ([0-9a-f]{6})… → (\d+) nodes/.exec(text);
    expect(forgetLine).not.toBeNull();
    expect(dead.id.startsWith(forgetLine![1]!)).toBe(true);
    expect(text).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d\d:\d\d UTC>/);
    const list = await slack.waitFor(
      () => slack.thread(CHANNEL, plan.ts).find((m) => m.text.includes('the exact commands of plan')),
      'the exact command list in the thread',
    );
    const full = latestText(list);
    const forgets = full.match(new RegExp(`\\S+:\\d+ CLUSTER FORGET ${dead.id}`, 'g')) ?? [];
    expect(forgets.length).toBe(Number(forgetLine![2]));
  });
});
