import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiagnose } from '../../src/cli/diagnose.ts';
import { type LocalCluster, type LocalNode, startLocalCluster } from '../support/redis-cluster.ts';
import { missingKeys, userCheck, waitHealthy, waitReplicasCaughtUp, writeKeys } from './plans-support.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {} },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('redis-medic diagnose', () => {
  let cluster: LocalCluster;
  let fresh: LocalNode;
  let written: Map<string, string>;
  const args = () => ['--nodes', cluster.addrs().join(','), '--extra', fresh.addr, '--wait-timeout', '30000'];

  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    written = await writeKeys(cluster, 100);
    await waitReplicasCaughtUp(cluster);
    const master = cluster.masters()[1]!;
    const replica = cluster.replicasOf(master)[0]!;
    await cluster.kill(master);
    await cluster.waitFor(
      async () => (await cluster.roleOf(replica)) === 'master',
      20_000,
      'the replica to take over',
    );
    // As an operator would: diagnose once every live node agrees on the promotion (else it says to wait).
    await cluster.waitFor(
      async () => {
        const views = await Promise.all(
          cluster
            .all()
            .filter((n) => n.state === 'running')
            .map((n) => cluster.cli(n, 'CLUSTER', 'NODES')),
        );
        return views.every((v) =>
          v
            .split('\n')
            .some((l) => l.startsWith(replica.id) && (l.split(' ')[2] ?? '').split(',').includes('master')),
        );
      },
      20_000,
      'every node to see the promotion',
    );
    fresh = await cluster.startFreshNode();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('prints the plan with the exact commands it would send, and exits 1', async () => {
    const c = io();
    const code = await runDiagnose(args(), c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(1);
    const dead = cluster.masters()[1]!;
    expect(c.out()).toContain(`CLUSTER FORGET ${dead.id}`);
    expect(c.out()).toContain(`CLUSTER MEET 127.0.0.1 ${fresh.port}`);
    expect(c.out()).toMatch(/Plan p-[0-9a-z]{10}: /);
  });

  it('prints the plan as JSON with --json', async () => {
    const c = io();
    expect(await runDiagnose([...args(), '--json'], c.io)).toBe(1);
    const body = JSON.parse(c.out());
    expect(body.plan.steps.map((s: { kind: string }) => s.kind)).toEqual(['forget', 'meet', 'replicate']);
  });

  it('refuses --execute without --yes, and changes nothing', async () => {
    const c = io();
    expect(await runDiagnose([...args(), '--execute'], c.io)).toBe(2);
    expect(c.err()).toMatch(/add --yes/);
  });

  it('runs the plan with --execute --yes, printing each step as it goes', async () => {
    const c = io();
    const code = await runDiagnose([...args(), '--execute', '--yes'], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    for (const n of [1, 2, 3]) expect(c.out()).toMatch(new RegExp(`step ${n}/3 done in \\d+ ms`));
    expect(c.out()).toMatch(/plan finished succeeded/);
    await waitHealthy(cluster);
    expect(await userCheck(cluster)).toEqual([]);
    expect(await missingKeys(cluster, written)).toEqual([]);
  });

  it('then finds nothing to do, and exits 0', async () => {
    const c = io();
    expect(await runDiagnose(args(), c.io)).toBe(0);
    expect(c.out()).toMatch(/Nothing to do/);
  });

  it('exits 2 when no node answers', async () => {
    const c = io();
    expect(await runDiagnose(['--nodes', '127.0.0.1:1'], c.io)).toBe(2);
    expect(c.err()).toMatch(/could not reach/);
  });
});
