/**
 * Set-up shared by the chat-ops end-to-end files of issue 19 (alertmanager, chatops-*): the app in HTTP mode with
 * a signed-request client, the master pod replaced as the write-ups describe, and a clusters file on disk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/main.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import type { LocalCluster, LocalNode } from '../support/redis-cluster.ts';
import type { SlackStandIn, StoredMessage } from '../support/slack-stand-in.ts';
import { appEnv, findButton, SlackClientSim, startBackends, startTestApp } from './support.ts';

/** Three masters with a replica each, failing over within seconds: the cluster most of these files break. */
export const THREE_SHARDS = { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 } as const;

/**
 * The app as `npm start` runs it in HTTP mode, and a client that sends it signed Slack requests. The clusters
 * are `seeds` (one cluster) or `clustersFile` (CLUSTERS_FILE).
 */
export async function startHttpApp(opts: {
  slack: SlackStandIn;
  secret: string;
  controlUrl: string;
  seeds?: string[];
  clustersFile?: string;
  approvers?: string[];
  extra?: Record<string, string>;
  logLines?: string[];
  prefix?: string;
}): Promise<{ app: RunningApp; sim: SlackClientSim }> {
  const app = await startTestApp(
    appEnv({
      slack: opts.slack,
      mode: 'http',
      signingSecret: opts.secret,
      controlUrl: opts.controlUrl,
      seeds: opts.seeds ?? [],
      ...(opts.approvers ? { approvers: opts.approvers } : {}),
      extra: {
        ...(opts.clustersFile ? { CLUSTERS_FILE: opts.clustersFile, REDIS_CLUSTER_NODES: '' } : {}),
        ...opts.extra,
      },
    }),
    {
      ...(opts.logLines ? { logLines: opts.logLines } : {}),
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    },
  );
  const sim = new SlackClientSim(opts.slack, `http://127.0.0.1:${app.port}/slack/events`, opts.secret);
  return { app, sim };
}

/**
 * A master pod replaced (write-ups 000, 004): once its replica's link is up, the master dies, Redis promotes the
 * replica, and an empty node comes up alone at `freshPort`. Returns the dead master and the promoted replica.
 */
export async function replaceMasterPod(
  cluster: LocalCluster,
  freshPort: number,
): Promise<{ dead: LocalNode; replica: LocalNode }> {
  const dead = cluster.masters()[0];
  const replica = dead ? cluster.replicasOf(dead)[0] : undefined;
  if (!dead || !replica) throw new Error('no master with a replica');
  await cluster.waitFor(
    async () => (await cluster.cli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
    20_000,
    'the replica link',
  );
  await cluster.kill(dead);
  await cluster.waitFor(async () => (await cluster.roleOf(replica)) === 'master', 30_000, 'replica promoted');
  await cluster.startFreshNode({ port: freshPort });
  return { dead, replica };
}

/**
 * The backends with THREE_SHARDS, the app in HTTP mode seeded with every node and the replacement pod's address
 * (known from the start, like a headless Service's), and then that master pod replaced.
 */
export async function startWithReplacedPod(secret: string) {
  const backends = await startBackends(THREE_SHARDS);
  const freshPort = await pickFreePort('127.0.0.1');
  const started = await startHttpApp({
    slack: backends.slack,
    secret,
    controlUrl: backends.control.url,
    seeds: [...backends.cluster.addrs(), `127.0.0.1:${freshPort}`],
  });
  return { ...backends, ...started, ...(await replaceMasterPod(backends.cluster, freshPort)) };
}

/** Types `/redis <text>` as `user` in `channel` and waits for the first new message there that `match` accepts. */
export async function postAfterCommand(
  slack: SlackStandIn,
  sim: SlackClientSim,
  at: { user: string; channel: string; text: string },
  match: (m: StoredMessage) => boolean,
  what: string,
): Promise<StoredMessage> {
  const before = slack.channelMessages(at.channel).length;
  await sim.command(at.user, at.channel, at.text);
  return slack.waitFor(() => slack.channelMessages(at.channel).slice(before).find(match), what);
}

/** Does the message carry a plan's Approve button? */
export const hasPlan = (m: StoredMessage) => findButton(m, 'plan_approve') !== undefined;

/** A temporary folder for clusters files: `write` returns the file's path, `remove` deletes the folder. */
export function clustersFiles(label: string): {
  write(lines: string[], name?: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), `redis-medic-${label}-`));
  return {
    write(lines, name = 'clusters.yaml') {
      const file = join(dir, name);
      writeFileSync(file, ['clusters:', ...lines, ''].join('\n'));
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
