/**
 * Credentials: the commander alone fills them in; the dry run shows `***`; a refused password is
 * "authentication failed", never "unreachable".
 */
import { describe, expect, it } from 'vitest';
import { expandCredentials } from '../../src/adapters/redis/node-commander.ts';
import { healthOf } from '../../src/app/messages/status.ts';
import { formatStatus, unreachableMessage } from '../../src/cli/format-status.ts';
import { planForFindings } from '../../src/core/plans/planner.ts';
import { Credential } from '../../src/core/ports.ts';
import { analyzeTopology } from '../../src/core/topology/analyze.ts';
import type { Plan, Probe, Topology } from '../../src/core/types.ts';
import { addrOf, ctx, id, node, outsider, THIRDS, topology } from './plans/topology-builder.ts';

const PW = 'unit-Secret-0xfeed';

describe('expandCredentials', () => {
  it('puts AUTH, AUTH2 or nothing in place of the MIGRATE stand-in, and the values in place of theirs', () => {
    const args = ['MIGRATE', 'h', 6379, '', 0, 5000, 'REPLACE', Credential.migrateAuth, 'KEYS', 'k'];
    expect(expandCredentials(args, { password: PW })).toEqual([
      ...['MIGRATE', 'h', '6379', '', '0', '5000', 'REPLACE'],
      ...['AUTH', PW, 'KEYS', 'k'],
    ]);
    expect(expandCredentials(args, { username: 'medic', password: PW })).toContain('AUTH2');
    expect(expandCredentials(args, {})).toEqual([
      'MIGRATE',
      'h',
      '6379',
      '',
      '0',
      '5000',
      'REPLACE',
      'KEYS',
      'k',
    ]);
    expect(
      expandCredentials(
        ['CONFIG', 'SET', 'masterauth', Credential.password, 'masteruser', Credential.username],
        {
          username: 'medic',
          password: PW,
        },
      ),
    ).toEqual(['CONFIG', 'SET', 'masterauth', PW, 'masteruser', 'medic']);
  });
});

function refused(addr: string, reply: string): Probe {
  return {
    addr,
    source: 'seed',
    outcome: 'error',
    ms: 1,
    authFailed: true,
    error: `${addr}: authentication failed (INFO answered: ${reply})`,
  };
}

function nobodyAnswers(probes: Probe[], auth?: Topology['auth']): Topology {
  return {
    cluster: 'c',
    mode: 'cluster',
    takenAt: 0,
    probes,
    nodes: [],
    outsiders: [],
    disagreements: [],
    fingerprint: 'f',
    ...(auth ? { auth } : {}),
  };
}

describe('a refused password', () => {
  it('is one critical auth-failed finding, not cluster-unreachable, naming the likely cause', () => {
    const wrong = nobodyAnswers(
      [refused('10.0.0.1:6379', 'WRONGPASS invalid username-password pair or user is disabled.')],
      {},
    );
    const f = analyzeTopology(wrong);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['auth-failed', 'critical']]);
    expect(f[0]!.summary).toMatch(
      /^authentication failed: 1 address refused our credentials — wrong password/,
    );
    expect(healthOf(wrong, f)).toEqual({ emoji: ':lock:', word: 'authentication failed' });
    expect(formatStatus(wrong, f)).toContain('10.0.0.1:6379  authentication failed');
    expect(unreachableMessage('status', wrong, ['10.0.0.1:6379'])).toMatch(
      /^redis-medic status: authentication failed/,
    );

    const none = analyzeTopology(
      nobodyAnswers([refused('10.0.0.1:6379', 'NOAUTH Authentication required.')]),
    );
    expect(none[0]!.summary).toContain('none is configured (REDIS_PASSWORD)');
  });

  it('on a member is said on its node-unreachable finding; on a stranger, in a warning of its own', () => {
    const t = topology([
      node({ id: id('a'), port: 7001, slots: THIRDS[0] }),
      node({ id: id('b'), port: 7002, slots: THIRDS[1], reachable: false, health: 'unreachable' }),
      node({ id: id('c'), port: 7003, slots: THIRDS[2] }),
    ]);
    t.probes = [
      ...t.probes.filter((p) => p.addr !== addrOf(7002)),
      refused(addrOf(7002), 'WRONGPASS invalid username-password pair or user is disabled.'),
      refused('10.0.0.9:6379', 'WRONGPASS invalid username-password pair or user is disabled.'),
    ];
    const f = analyzeTopology(t);
    expect(f.find((x) => x.code === 'node-unreachable')?.summary).toContain(
      'refused our credentials (authentication failed)',
    );
    const stranger = f.find((x) => x.code === 'auth-failed');
    expect(stranger?.severity).toBe('warning');
    expect(stranger?.addrs).toEqual(['10.0.0.9:6379']);
  });
});

describe('the dry run on a password-protected cluster', () => {
  const plan = (t: Topology): Plan => {
    const out = planForFindings(t, [], ctx);
    if (!out.ok) throw new Error(out.reason);
    return out.plan;
  };
  const openSlot = () =>
    topology([
      node({ id: id('a'), port: 7001, slots: THIRDS[0], migrating: [{ slot: 100, nodeId: id('b') }] }),
      node({ id: id('b'), port: 7002, slots: THIRDS[1], importing: [{ slot: 100, nodeId: id('a') }] }),
      node({ id: id('c'), port: 7003, slots: THIRDS[2] }),
    ]);

  it('shows MIGRATE … AUTH *** (AUTH2 <user> *** for an ACL user), and nothing of the kind without a password', () => {
    expect(plan(openSlot()).steps[0]!.commands[0]).toBe(
      '(keys of the open slots move with MIGRATE where needed)',
    );
    const withPw = openSlot();
    withPw.auth = {};
    expect(plan(withPw).steps[0]!.commands[0]).toContain('REPLACE AUTH *** KEYS');
    const withUser = openSlot();
    withUser.auth = { username: 'medic' };
    expect(plan(withUser).steps[0]!.commands[0]).toContain('REPLACE AUTH2 medic *** KEYS');
  });

  it("shows a new replica's CONFIG SET masterauth *** before its CLUSTER REPLICATE", () => {
    const t = topology(
      [
        node({ id: id('a'), port: 7001, slots: THIRDS[0] }),
        node({ id: id('b'), port: 7002, slots: THIRDS[1] }),
        node({ id: id('c'), port: 7003, slots: THIRDS[2] }),
      ],
      [outsider(7009, id('9'))],
    );
    t.auth = {};
    const steps = plan(t).steps;
    const replicate = steps.find((s) => s.kind === 'replicate')!;
    expect(replicate.commands[0]).toMatch(/^10\.0\.0\.1:7009 CONFIG SET masterauth \*\*\* \(only if/);
    expect(replicate.commands[1]).toContain('CLUSTER REPLICATE');
  });
});
