import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/app/chat-port.ts';
import { renderCommandList } from '../../src/app/messages/commands.ts';
import {
  applyExecEvent,
  assertWithinBlockKitLimits,
  blockKitProblems,
  initialProgress,
  renderAudit,
  renderCancelled,
  renderClusters,
  renderHelp,
  renderNotice,
  renderPlan,
  renderPlans,
  renderProgress,
  renderStatus,
  renderSummary,
  renderUsageError,
} from '../../src/app/messages/index.ts';
import { esc } from '../../src/app/messages/kit.ts';
import { parseIntent } from '../../src/core/intents/parse-intent.ts';
import type { PlanRecord } from '../../src/core/plan-record.ts';
import type { ClusterNode, Finding, Plan, Step, Topology } from '../../src/core/types.ts';

const hex = (n: number) => n.toString(16).padStart(8, '0').repeat(5);
const NOW = Date.UTC(2026, 10, 22, 0, 0, 0);

/** A cluster of `masters` masters with `perMaster` replicas each; a few nodes failed. */
function bigTopology(masters: number, perMaster: number): Topology {
  const nodes: ClusterNode[] = [];
  const size = Math.floor(16384 / masters);
  for (let m = 0; m < masters; m++) {
    const id = hex(m + 1);
    const start = m * size;
    const end = m === masters - 1 ? 16383 : start + size - 1;
    nodes.push({
      id,
      addr: `10.0.${Math.floor(m / 250)}.${m % 250}:6379`,
      role: 'master',
      masterId: null,
      slots: [{ start, end }],
      migrating: [],
      importing: [],
      configEpoch: m + 1,
      flags: ['master'],
      health: m % 17 === 3 ? 'fail' : 'ok',
      reachable: m % 17 !== 3,
      failReportedBy: m % 17 === 3 ? [hex(1)] : [],
      pfailReportedBy: [],
      pod: {
        name: `redis-cluster-${m}`,
        namespace: 'redis',
        ip: null,
        phase: 'Running',
        ready: true,
        restarts: 0,
        nodeName: 'k1',
        port: 6379,
      },
    });
    for (let r = 0; r < perMaster; r++) {
      const rid = hex(1000 + m * 10 + r);
      nodes.push({
        id: rid,
        addr: `10.1.${Math.floor(m / 250)}.${m % 250}:${6380 + r}`,
        role: 'replica',
        masterId: id,
        slots: [],
        migrating: [],
        importing: [],
        configEpoch: m + 1,
        flags: ['slave'],
        health: 'ok',
        reachable: true,
        failReportedBy: [],
        pfailReportedBy: [],
      });
    }
  }
  return {
    cluster: 'prod-eu-west-1',
    mode: 'cluster',
    takenAt: NOW,
    probes: nodes.map((n) => ({
      addr: n.addr ?? '',
      source: 'gossip',
      outcome: n.reachable ? 'ok' : 'timeout',
      ms: 12,
    })),
    nodes,
    outsiders: [{ addr: '10.9.9.9:6379', source: 'pod', outcome: 'ok', ms: 3 }],
    disagreements: [],
    fingerprint: 'abcdef0123456789',
  };
}

function manyFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => ({
    code: i % 3 === 0 ? 'node-failed' : 'master-orphaned',
    severity: (['critical', 'warning', 'info'] as const)[i % 3] ?? 'info',
    summary: `Finding number ${i} about node ${hex(i)} which is long enough to matter ${'x'.repeat(80)}`,
    nodes: [hex(i)],
    evidence: [`10.0.0.${i}:6379 says ${hex(i)} fail`, 'another observer agrees'],
  }));
}

function step(i: number, over: Partial<Step> = {}): Step {
  return {
    kind: 'forget',
    nodeId: hex(i),
    risk: 'low',
    sentence: `Forget node ${hex(i).slice(0, 8)} on every live node (199) at once.`,
    commands: Array.from({ length: 199 }, (_, j) => `10.0.0.${j}:6379 CLUSTER FORGET ${hex(i)}`),
    ...over,
  } as Step;
}

function plan(steps: Step[], over: Partial<Plan> = {}): Plan {
  return {
    id: 'p-abc123defg',
    cluster: 'prod-eu-west-1',
    title: 'Forget the dead master, bring the restarted pod in as replica of the orphaned master',
    fingerprint: 'abcdef0123456789',
    requestedBy: 'U0ASKER',
    createdAt: NOW,
    expiresAt: NOW + 15 * 60_000,
    risk: 'low',
    steps,
    approvalsNeeded: 1,
    findings: manyFindings(30).map(({ code, severity, summary }) => ({ code, severity, summary })),
    ...over,
  };
}

function record(p: Plan, over: Partial<PlanRecord> = {}): PlanRecord {
  return {
    plan: p,
    status: 'proposed',
    approvalsNeeded: p.approvalsNeeded,
    approvals: [],
    progress: { nextStep: 0, outcomes: [] },
    updatedAt: NOW,
    ...over,
  };
}

const allText = (m: ChatMessage) => JSON.stringify(m.blocks);
const buttons = (m: ChatMessage) =>
  m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])).filter((e) => e.type === 'button');

describe('Block Kit renderers', () => {
  describe('status of a 200-node cluster', () => {
    const t = bigTopology(100, 1);
    const msg = renderStatus(t, manyFindings(60));
    it('stays within every limit', () => {
      assertWithinBlockKitLimits(msg);
      expect(t.nodes.length).toBe(200);
    });
    it('collapses healthy shards into one line and shows each failed shard in full, also at 1,000 nodes', () => {
      expect(allText(msg)).not.toMatch(/more lines left out/);
      expect(allText(msg)).toMatch(/more lines of findings left out/);
      expect(allText(msg)).toContain('188 nodes healthy (94 shards');
      const huge = renderStatus(bigTopology(250, 3), manyFindings(5));
      assertWithinBlockKitLimits(huge);
      expect(allText(huge)).toContain('940 nodes healthy (235 shards');
      expect(allText(huge)).not.toMatch(/more lines left out/);
    });
    it('shows the state, masters with replicas and slot ranges, and findings with severity emoji', () => {
      const text = allText(msg);
      expect(msg.blocks[0]?.type).toBe('header');
      expect(text).toContain('cluster_state:');
      expect(text).toContain('slots 489-651 (163)');
      expect(text).toContain('↳ :large_green_circle: replica');
      expect(text).toContain(':red_circle: *critical*');
      expect(text).toContain('*not in the cluster*');
    });
  });

  it('names the servers the nodes said they run (INFO server)', () => {
    const t = bigTopology(3, 1);
    const probes = t.nodes.map((n, i) => ({
      addr: n.addr!,
      source: 'seed' as const,
      outcome: 'ok' as const,
      ms: 1,
      server:
        i < 3 ? { name: 'valkey' as const, version: '8.0.1' } : { name: 'redis' as const, version: '7.2.6' },
    }));
    expect(allText(renderStatus({ ...t, probes }, []))).toContain('Redis 7.2.6 ×3, Valkey 8.0.1 ×3');
  });

  it('does not count a replica whose link to its master is down among the healthy ones', () => {
    const t = bigTopology(3, 1);
    const before = allText(renderStatus(t, []));
    expect(before).toContain('3 (3 healthy)');
    const replica = t.nodes.find((n) => n.role === 'replica')!;
    replica.replication = {
      role: 'slave',
      connectedSlaves: 0,
      masterReplOffset: 0,
      replicas: [],
      raw: {},
      masterLinkStatus: 'down',
    };
    const after = allText(renderStatus(t, []));
    expect(after).toContain('3 (2 healthy)');
  });

  it('renders a healthy small cluster without findings', () => {
    const msg = renderStatus(bigTopology(3, 1), []);
    assertWithinBlockKitLimits(msg);
    expect(allText(msg)).toContain('No findings');
    expect(msg.text).toContain('healthy');
  });

  describe('a plan awaiting approval', () => {
    const p = plan(
      [
        step(1),
        step(2),
        {
          ...step(3),
          kind: 'failover',
          mode: 'takeover',
          risk: 'high',
          addr: '10.0.0.3:6379',
          replicaId: hex(3),
          masterId: hex(4),
          commands: ['10.0.0.3:6379 CLUSTER FAILOVER TAKEOVER'],
        } as Step,
      ],
      {
        risk: 'high',
        approvalsNeeded: 2,
      },
    );
    const msg = renderPlan(record(p), { now: NOW });
    it('stays within every limit, even with 199 commands per step', () => {
      assertWithinBlockKitLimits(msg);
      // 199 FORGETs of one id: one line, the exact list goes in the thread.
      expect(allText(msg)).toContain(`CLUSTER FORGET ${hex(1).slice(0, 6)}… → 199 nodes`);
      expect(allText(msg)).toContain('each one in full in the thread');
    });
    it('has Approve and Reject buttons whose confirm dialogs name the cluster and the risk', () => {
      const [approve, reject] = buttons(msg);
      expect(approve?.action_id).toBe('plan_approve');
      expect(approve?.value).toBe('p-abc123defg');
      expect(reject?.action_id).toBe('plan_reject');
      expect(reject?.value).toBe('p-abc123defg');
      expect(approve?.confirm?.title.text).toContain('prod-eu-west-1');
      expect(approve?.confirm?.title.text).toContain('HIGH risk');
      expect(approve?.confirm?.text.text).toContain('two different approvers');
      expect(reject?.confirm?.text.text).toContain('prod-eu-west-1');
    });
    it('shows high risk plainly and the exact commands', () => {
      const text = allText(msg);
      expect(text).toContain('*HIGH RISK*');
      expect(text).toContain('TAKEOVER skips the vote');
      expect(text).toContain('CLUSTER FAILOVER TAKEOVER');
      expect(text).toContain('needs *two different approvers*');
    });
  });

  it('shows data loss plainly', () => {
    const s = {
      kind: 'fix-slots',
      action: 'assign',
      slots: [{ start: 0, end: 5460 }],
      addr: 'a:1',
      targetId: hex(1),
      risk: 'data-loss',
      sentence: 'Give slots away',
      commands: ['a:1 CLUSTER ADDSLOTSRANGE 0 5460'],
    } as Step;
    const msg = renderPlan(record(plan([s], { risk: 'data-loss', approvalsNeeded: 2 })), { now: NOW });
    assertWithinBlockKitLimits(msg);
    expect(allText(msg)).toContain('DATA LOSS POSSIBLE');
    expect(buttons(msg)[0]?.confirm?.title.text).toContain('DATA LOSS');
  });

  it('keeps a 120-step plan within limits and says how many steps were left out', () => {
    const msg = renderPlan(record(plan(Array.from({ length: 120 }, (_, i) => step(i)))), { now: NOW });
    assertWithinBlockKitLimits(msg);
    expect(buttons(msg)).toHaveLength(2);
  });

  describe('plan status updates', () => {
    const p = plan([step(1), step(2), step(3), step(4)], { approvalsNeeded: 2 });
    const cases: [string, Partial<PlanRecord>, RegExp, boolean][] = [
      [
        'waiting for a second approver',
        { approvals: [{ user: 'U1', at: NOW }], approvalsNeeded: 2 },
        /Approved by <@U1> — \*waiting for a second approver\* \(1\/2\)/,
        true,
      ],
      [
        'approved by whom',
        {
          status: 'queued',
          approvals: [
            { user: 'U1', at: NOW },
            { user: 'U2', at: NOW },
          ],
        },
        /Approved\* by <@U1>, <@U2>/,
        false,
      ],
      [
        'waiting behind another plan',
        { status: 'queued', approvals: [{ user: 'U1', at: NOW }], waitingBehind: 'p-other' },
        /waiting\* for plan `p-other`/,
        false,
      ],
      [
        'running step 2/4',
        {
          status: 'running',
          approvals: [{ user: 'U1', at: NOW }],
          progress: { nextStep: 1, outcomes: [{ index: 0, outcome: 'done', ms: 5, detail: '' }] },
        },
        /Running step 2\/4/,
        false,
      ],
      [
        'succeeded',
        { status: 'succeeded', result: { status: 'succeeded', detail: 'ok', finishedAt: NOW } },
        /Succeeded/,
        false,
      ],
      [
        'failed',
        {
          status: 'failed',
          result: { status: 'failed', detail: 'node timed out', finishedAt: NOW },
          progress: { nextStep: 2, outcomes: [{ index: 1, outcome: 'failed', ms: 5, detail: '' }] },
        },
        /Failed\* at step 2\/4: node timed out/,
        false,
      ],
      [
        'stale',
        { status: 'stale', result: { status: 'stale', detail: 'master is back', finishedAt: NOW } },
        /cluster changed/,
        false,
      ],
      ['rejected', { status: 'rejected', rejectedBy: 'U9' }, /Rejected\* by <@U9>/, false],
      ['expired', { status: 'expired' }, /Expired/, false],
      ['cancelled', { status: 'cancelled', cancelledBy: 'U9' }, /Cancelled\* by <@U9>/, false],
    ];
    for (const [name, over, re, hasButtons] of cases) {
      it(`shows ${name}`, () => {
        const msg = renderPlan(record(p, over), { now: NOW + 1000 });
        assertWithinBlockKitLimits(msg);
        expect(allText(msg)).toMatch(re);
        expect(buttons(msg).length > 0).toBe(hasButtons);
      });
    }
    it('drops the buttons once a proposed plan is past its expiry', () => {
      const msg = renderPlan(record(p), { now: p.expiresAt + 1 });
      expect(buttons(msg)).toHaveLength(0);
      expect(allText(msg)).toContain('Expired');
    });
  });

  it('folds exec events into one progress message and a before/after summary', () => {
    const p = plan([step(1), step(2)]);
    let s = initialProgress(p);
    s = applyExecEvent(s, { step: -1, kind: 'started', detail: '', at: NOW });
    s = applyExecEvent(s, { step: 0, kind: 'started', detail: 'forgetting', at: NOW });
    expect(allText(renderProgress(p, s))).toContain(':arrows_counterclockwise:');
    s = applyExecEvent(s, {
      step: 0,
      kind: 'done',
      detail: 'forgotten on 199 nodes in 12 ms',
      ms: 15,
      at: NOW + 15,
      metrics: { forgetSpreadMs: 12 },
    });
    s = applyExecEvent(s, { step: 1, kind: 'skipped', detail: 'already forgotten', ms: 2, at: NOW + 20 });
    s = applyExecEvent(s, { step: -1, kind: 'finished', detail: '', at: NOW + 30, status: 'succeeded' });
    const prog = renderProgress(p, s);
    assertWithinBlockKitLimits(prog);
    expect(prog.text).toContain('succeeded');
    expect(allText(prog)).toContain('forgotten on 199 nodes');
    const sum = renderSummary(record(p, { status: 'succeeded', approvals: [{ user: 'U2', at: NOW }] }), {
      progress: s,
      after: { findings: [], healthy: true },
    });
    assertWithinBlockKitLimits(sum);
    expect(allText(sum)).toContain('*Before*');
    expect(allText(sum)).toContain('healthy: no findings');
    expect(allText(sum)).toContain('forgetSpreadMs=12');
    expect(allText(sum)).not.toContain('The cancel of');
    // A cancel that came while the last step was under way: the plan finished, and the summary says why.
    const late = renderSummary(
      record(p, { status: 'succeeded', approvals: [{ user: 'U2', at: NOW }], cancelRequestedBy: 'U3' }),
      { progress: s, after: { findings: [], healthy: true } },
    );
    expect(allText(late)).toContain('The cancel of <@U3> came during its last step');
  });

  it('renders audit, plans, clusters, cancel, help, usage errors and notices within limits', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      id: `${NOW + i}-0`,
      who: 'U0ABC',
      what: 'approval',
      at: NOW + i,
      cluster: 'prod',
      plan: 'p-abc',
      outcome: 'ok',
      detail: 'x'.repeat(500),
    }));
    const msgs: ChatMessage[] = [
      renderAudit(entries, { n: 100 }),
      renderAudit([], { n: 10 }),
      renderPlans(
        Array.from({ length: 60 }, () => record(plan([step(1)]))),
        { now: NOW },
      ),
      renderPlans([], { now: NOW }),
      renderClusters(
        Array.from({ length: 80 }, (_, i) => ({
          name: `c${i}`,
          seeds: ['a:1', 'b:2', 'c:3', 'd:4'],
          health: { emoji: ':red_circle:', word: 'needs attention' },
          detail: '2 critical',
        })),
      ),
      renderCancelled(record(plan([step(1)])), 'U1'),
      renderHelp(),
      renderHelp({ topic: 'failover' }),
      renderHelp({ sandbox: true, clusters: ['a', 'b'] }),
      renderNotice('Only approvers may approve', ':no_entry:'),
    ];
    for (const m of msgs) assertWithinBlockKitLimits(m);
    expect(allText(msgs[0] as ChatMessage)).toContain('approval');
    expect(allText(msgs[6] as ChatMessage)).toContain('--cluster <name>');
    expect(allText(msgs[8] as ChatMessage)).toContain('chaos');
    expect(allText(msgs[6] as ChatMessage)).not.toContain('chaos');
    const r = parseIntent('staus');
    if (r.ok) throw new Error('expected a refusal');
    const err = renderUsageError(r);
    assertWithinBlockKitLimits(err);
    expect(allText(err)).toContain('Did you mean `/redis status`?');
  });

  it('keeps the watcher preface on top of a plan, also when re-rendered from the record', () => {
    const p = plan([step(1)]);
    const lines = [':rotating_light: Cluster *prod* degraded 40s ago.', '• 10.0.0.1:6379 failed'];
    const fromRef = renderPlan(record(p, { chatRef: { channel: 'C1', ts: '1.1', preface: lines } }), {
      now: NOW,
    });
    assertWithinBlockKitLimits(fromRef);
    expect(fromRef.blocks[0]?.type).toBe('section');
    expect(allText(fromRef)).toContain('degraded 40s ago');
    const long = renderPlan(record(plan(Array.from({ length: 60 }, (_, i) => step(i)))), {
      now: NOW,
      preface: Array.from({ length: 200 }, (_, i) => `• change ${i} ${'x'.repeat(60)}`),
    });
    assertWithinBlockKitLimits(long);
    expect(buttons(long)).toHaveLength(2);
  });

  it('shows a Redis-only picture when the Kubernetes API failed, and a cluster nobody answers', () => {
    const t = { ...bigTopology(3, 1), podError: 'K8S_ERROR: 403 Forbidden listing pods' };
    expect(allText(renderStatus(t, []))).toContain('Kubernetes API: K8S_ERROR: 403 Forbidden');
    const dead: Topology = {
      ...bigTopology(3, 1),
      nodes: [],
      outsiders: [],
      probes: [{ addr: '10.0.0.1:6379', source: 'seed', outcome: 'refused', ms: 2 }],
    };
    const msg = renderStatus(dead, []);
    assertWithinBlockKitLimits(msg);
    expect(msg.text).toContain('unreachable');
    expect(allText(msg)).toContain('10.0.0.1:6379 (refused)');
  });

  it('the limits checker catches what Slack would refuse', () => {
    const b = {
      type: 'button' as const,
      text: { type: 'plain_text' as const, text: 'x' },
      action_id: 'same',
    };
    const problems = blockKitProblems({
      text: 'x',
      blocks: [
        ...Array.from({ length: 51 }, () => ({ type: 'divider' as const })),
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        {
          type: 'section',
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f' })),
        },
        { type: 'actions', elements: [b, b] },
      ],
    });
    expect(problems.join('\n')).toMatch(/blocks: 55 > 50/);
    expect(problems.join('\n')).toMatch(/150/);
    expect(problems.join('\n')).toMatch(/3000/);
    expect(problems.join('\n')).toMatch(/11 fields/);
    expect(problems.join('\n')).toMatch(/duplicate action_id/);
  });

  describe('on a phone (issue 19): 6, 60 and 500 nodes', () => {
    const blockIndex = (m: ChatMessage, pred: (b: ChatMessage['blocks'][number]) => boolean) =>
      m.blocks.findIndex(pred);
    it.each([3, 30, 250])(
      'status of %i shards (x2 nodes): verdict, findings, then the problem nodes; within limits',
      (masters) => {
        const t = bigTopology(masters, 1);
        const findings = manyFindings(4);
        const msg = renderStatus(t, findings);
        expect(blockKitProblems(msg)).toEqual([]);
        expect(msg.text.startsWith('Redis prod-eu-west-1: ')).toBe(true);
        expect(msg.blocks[0]).toMatchObject({ type: 'header' });
        expect(JSON.stringify(msg.blocks[0])).toContain('Redis prod-eu-west-1: needs attention');
        expect(JSON.stringify(msg.blocks[1])).toContain(esc(findings[0]!.summary).slice(0, 40));
        const failed = t.nodes.filter((n) => n.health === 'fail');
        for (const n of failed) expect(allText(msg)).toContain(n.addr);
        const healthy = t.nodes.length - 2 * failed.length;
        expect(allText(msg)).toContain(`${healthy} nodes healthy`);
      },
    );
    it.each([3, 30, 250])(
      'plan for %i shards: risk and buttons right under the summary, many-node commands on one line',
      (masters) => {
        const nodes = masters * 2;
        const forget: Step = {
          ...step(1),
          commands: Array.from(
            { length: nodes - 2 },
            (_, j) => `10.0.${j >> 8}.${j & 255}:6379 CLUSTER FORGET ${hex(1)}`,
          ),
        } as Step;
        const msg = renderPlan(record(plan([forget, step(2)])), { now: NOW });
        expect(blockKitProblems(msg)).toEqual([]);
        expect(msg.text).toContain('prod-eu-west-1');
        const votes = blockIndex(msg, (b) => b.type === 'actions');
        const risk = blockIndex(msg, (b) => JSON.stringify(b).includes('*Risk*'));
        const firstStep = blockIndex(msg, (b) => JSON.stringify(b).includes('*1/2*'));
        expect(risk).toBeGreaterThan(0);
        expect(votes).toBeGreaterThan(risk);
        expect(firstStep).toBeGreaterThan(votes);
        expect(allText(msg)).toContain(`CLUSTER FORGET ${hex(1).slice(0, 6)}… → ${nodes - 2} nodes`);
        const list = renderCommandList(record(plan([forget])).plan);
        expect(blockKitProblems(list)).toEqual([]);
        expect(list.text).toContain('prod-eu-west-1');
        // The exact list: every command, in full (up to what fits a message: 500 nodes → 498 lines fit).
        for (const c of forget.commands.slice(0, 200)) expect(allText(list)).toContain(c);
      },
    );
    it('times are Slack date tokens with a UTC fallback', () => {
      const msg = renderPlan(record(plan([step(1)])), { now: NOW });
      expect(allText(msg)).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|00:00 UTC>/);
    });
  });
});

describe('plan message: expected duration', () => {
  it('says how long the plan should take and that the time is Redis waiting on the first sync', () => {
    const p = plan([
      step(1),
      step(2, {
        kind: 'meet',
        addr: '10.0.0.9:6379',
        commands: ['x CLUSTER MEET 10.0.0.9 6379'],
      } as Partial<Step>),
      step(3, {
        kind: 'replicate',
        addr: '10.0.0.9:6379',
        masterId: hex(4),
        commands: ['10.0.0.9:6379 CLUSTER REPLICATE x'],
      } as Partial<Step>),
    ]);
    const text = allText(renderPlan(record(p), { now: NOW }));
    expect(text).toMatch(/Expected to take about 6–18 s/);
    expect(text).toContain('repl-diskless-sync-delay');
    expect(text).toContain('gossip');
  });

  it('says there is nothing to wait for when every step is over at once', () => {
    const text = allText(renderPlan(record(plan([step(1)])), { now: NOW }));
    expect(text).toContain('Expected to take under a second, nothing to wait for');
  });
});
