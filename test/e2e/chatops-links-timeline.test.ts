/**
 * Links and timelines (issue 19, part 4), end to end: the app as `npm start` runs it (HTTP mode, signed requests,
 * the Slack Web API stand-in), a real Redis Cluster named in a clusters file with `dashboard_url` / `runbook_url`,
 * a real planned failover approved and run by the real worker, then `/redis timeline` and the `redis-medic`
 * CLI (`timeline`, `audit --since 7d --json`) run as a user runs them, against the same control Redis.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/plan-record.ts';
import type { RunningApp } from '../../src/main.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import { clustersFiles, hasPlan, postAfterCommand, startHttpApp, THREE_SHARDS } from './chatops-support.ts';
import {
  answersFor,
  findButton,
  latestText,
  type SlackClientSim,
  startBackends,
  stopAll,
  waitForPlanEnd,
} from './support.ts';

const SECRET = 'e2e-signing-secret-links';
const CHANNEL = 'C0SHOP';
const ASKER = 'U0ONCALL';
const APPROVER = 'U0APPROVER';
const PREFIX = `e2elinks${Date.now().toString(36)}`;
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'redis-medic.js');

/** The CLI as a user runs it: its own process, reading CONTROL_REDIS_URL. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Link buttons of a message: action id → url. */
function links(m: StoredMessage): Record<string, string> {
  const v = m.edits.at(-1) ?? m;
  const out: Record<string, string> = {};
  for (const b of v.blocks as { elements?: { action_id?: string; url?: string }[] }[])
    for (const e of b.elements ?? []) if (e.url && e.action_id) out[e.action_id] = e.url;
  return out;
}

describe('dashboard / runbook links and the incident timeline', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let app: RunningApp;
  let sim: SlackClientSim;
  const files = clustersFiles('links');
  let planId: string;
  let replicaAddr: string;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends(THREE_SHARDS));
    const file = files.write([
      '  - name: shop',
      `    seeds: [${cluster.addrs().join(', ')}]`,
      '    dashboard_url: https://grafana.example.com/d/redis?var-cluster={cluster}&var-node={node}',
      '    runbook_url: https://runbooks.example.com/redis/{cluster}',
    ]);
    ({ app, sim } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      clustersFile: file,
      approvers: [APPROVER],
      prefix: PREFIX,
    }));
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    replicaAddr = replica.addr;
    await cluster.waitFor(
      async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      20_000,
      'the replica link',
    );
  });

  afterAll(async () => {
    await stopAll(app, { slack, control, cluster });
    files.remove();
  });

  /** Types `/redis <text>` as the asker and waits for the first new channel message `match` accepts. */
  async function postedAfter(text: string, match: (m: StoredMessage) => boolean, what: string) {
    return postAfterCommand(slack, sim, { user: ASKER, channel: CHANNEL, text }, match, what);
  }

  it('status carries Dashboard and Runbook link buttons, filled in for the cluster', async () => {
    await sim.command(ASKER, CHANNEL, 'status');
    const msg = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => m.text.startsWith('Redis shop')),
      'the status message',
    );
    const l = links(msg);
    expect(l.link_runbook).toBe('https://runbooks.example.com/redis/shop');
    // {node}: the node of the first finding (here a master without persistence), URL-encoded.
    const node = decodeURIComponent(
      /^https:\/\/grafana\.example\.com\/d\/redis\?var-cluster=shop&var-node=(.*)$/.exec(
        l.link_dashboard ?? '',
      )?.[1] ?? '?',
    );
    expect(['', ...cluster.addrs()]).toContain(node);
  });

  it('a plan carries them too, with {node} the node it acts on; a click on a link is only acked', async () => {
    const plan = await postedAfter(`failover ${replicaAddr}`, hasPlan, 'the plan');
    planId = findButton(plan, 'plan_approve')!.value;
    expect(links(plan).link_dashboard).toBe(
      `https://grafana.example.com/d/redis?var-cluster=shop&var-node=${encodeURIComponent(replicaAddr)}`,
    );
    const click = await sim.click(ASKER, plan, 'link_dashboard', '');
    expect(click.status).toBe(200);
    expect(answersFor(slack, click.responseUrl)).toEqual([]);

    await sim.click(APPROVER, plan, 'plan_approve', planId);
    const end = await waitForPlanEnd(slack, CHANNEL, plan.ts, 60_000);
    expect(end).toContain('*Succeeded*');
    // Re-rendered as it ran: the links stay.
    expect(Object.keys(links(slack.message(CHANNEL, plan.ts)!))).toEqual(['link_dashboard', 'link_runbook']);
  });

  it('/redis timeline <plan-id> posts who asked, the diagnosis, who approved, each step, and the end', async () => {
    const msg = await postedAfter(`timeline ${planId}`, (m) => m.text.includes('timeline'), 'the timeline');
    const text = latestText(msg);
    const order = [
      `Requested by <@${ASKER}>`,
      'Diagnosed: ',
      `Approved by <@${APPROVER}>`,
      'Step 1 failover: done, 1 command, ',
      'Healthy: plan succeeded',
    ].map((s) => text.indexOf(s));
    expect(
      order.every((i) => i >= 0),
      text,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toMatch(
      /<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>/,
    );
  });

  it('--markdown gives a code block to paste', async () => {
    const msg = await postedAfter(
      `timeline ${planId} --markdown`,
      (m) => m.text.includes('timeline'),
      'the markdown timeline',
    );
    const text = latestText(msg);
    expect(text).toContain('```### Timeline: plan');
    expect(text).toMatch(/- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC — Approved by U0APPROVER/);
  });

  it('redis-medic timeline and audit --since 7d --json read the same story from the control Redis', async () => {
    const env = { CONTROL_REDIS_URL: control.url };
    const t = await cli(['timeline', planId, '--markdown', '--prefix', PREFIX], env);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`### Timeline: plan ${planId} on shop`);
    expect(t.stdout).toContain('Healthy: plan succeeded');
    const a = await cli(['audit', '--since', '7d', '--json', '--prefix', PREFIX], env);
    expect(a.code).toBe(0);
    const entries = JSON.parse(a.stdout) as AuditEntry[];
    const mine = entries.filter((e) => e.plan === planId).map((e) => e.what);
    expect(mine).toEqual(expect.arrayContaining(['proposed', 'approval', 'step', 'result']));
    const missing = await cli(['timeline', 'p-nope', '--prefix', PREFIX], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no plan "p-nope"');
  });
});
