/**
 * Not fighting an operator (issue 19, part 5), end to end: the app as `npm start` runs it (HTTP mode, signed
 * requests, the Slack Web API stand-in), a real Redis Cluster whose pods the Kubernetes API stand-in serves —
 * their StatefulSet owned by an operator's `RedisCluster` resource — read through the real client-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/main.ts';
import { type ClusterStandIn, startK8sStandInForCluster } from '../support/k8s-stand-in.ts';
import type { LocalCluster, LocalRedis } from '../support/redis-cluster.ts';
import type { SlackStandIn } from '../support/slack-stand-in.ts';
import { startHttpApp, THREE_SHARDS } from './chatops-support.ts';
import { findButton, latestText, type SlackClientSim, startBackends, stopAll } from './support.ts';

const SECRET = 'e2e-signing-secret-operator';
const CHANNEL = 'C0OPS';
const ASKER = 'U0ONCALL';

describe('pods that belong to a Redis operator', () => {
  let slack: SlackStandIn;
  let control: LocalRedis;
  let cluster: LocalCluster;
  let k8s: ClusterStandIn;
  let app: RunningApp;
  let sim: SlackClientSim;
  const kubeconfigBefore = process.env.KUBECONFIG;

  beforeAll(async () => {
    ({ slack, control, cluster } = await startBackends(THREE_SHARDS));
    k8s = await startK8sStandInForCluster(cluster, {
      redisReadiness: false,
      statefulSetOwner: {
        apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
        kind: 'RedisCluster',
        name: 'shop',
      },
    });
    // The app loads the kubeconfig as in production: from KUBECONFIG.
    process.env.KUBECONFIG = k8s.kubeconfigPath;
    ({ app, sim } = await startHttpApp({
      slack,
      secret: SECRET,
      controlUrl: control.url,
      seeds: cluster.addrs(),
      extra: { K8S_ENABLED: 'true', K8S_NAMESPACE: 'redis' },
    }));
  });

  afterAll(async () => {
    if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfigBefore;
    await stopAll(app, { slack, control, cluster });
    await k8s?.close();
  });

  it("a plan's first line names the operator and how to pause it", async () => {
    const master = cluster.masters()[0]!;
    const replica = cluster.replicasOf(master)[0]!;
    await sim.command(ASKER, CHANNEL, `failover ${replica.addr}`);
    const plan = await slack.waitFor(
      () => slack.channelMessages(CHANNEL).find((m) => findButton(m, 'plan_approve')),
      'the plan',
    );
    const first = (plan.blocks[0] as { text?: { text?: string } }).text?.text ?? '';
    expect(first).toContain('These pods belong to RedisCluster shop (redis.redis.opstreelabs.in)');
    expect(first).toContain('scale deployment/<operator> --replicas=0');
    expect(first).toContain('StatefulSet redis-cluster of pod redis-cluster-');
    expect(
      plan.text.startsWith('Operator RedisCluster shop (redis.redis.opstreelabs.in) manages these pods'),
    ).toBe(true);
    // What the bot read: the pods, then their StatefulSet (to see who owns it).
    expect(
      k8s.requests.some((r) => r.path === '/apis/apps/v1/namespaces/redis/statefulsets/redis-cluster'),
    ).toBe(true);
    expect(latestText(plan)).toContain('CLUSTER FAILOVER');
  });
});
