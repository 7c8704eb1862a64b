import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyNodeRef, closest, editDistance, parseIntent } from '../../src/core/intents/parse-intent.ts';

const ID = 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca';

function ok(text: string) {
  const r = parseIntent(text);
  if (!r.ok) throw new Error(`expected ${text} to parse, got: ${r.error}`);
  return r.intent;
}
function bad(text: string) {
  const r = parseIntent(text);
  if (r.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r.intent)}`);
  return r;
}

describe('parseIntent', () => {
  describe('every sub-command', () => {
    it('reads help, also with no text and with a topic', () => {
      expect(ok('')).toEqual({ kind: 'help' });
      expect(ok('help')).toEqual({ kind: 'help' });
      expect(ok('  HELP  failover ')).toEqual({ kind: 'help', topic: 'failover' });
    });
    it('reads status and diagnose with an optional positional or --cluster name', () => {
      expect(ok('status')).toEqual({ kind: 'status' });
      expect(ok('status prod')).toEqual({ kind: 'status', cluster: 'prod' });
      expect(ok('diagnose --cluster prod')).toEqual({ kind: 'diagnose', cluster: 'prod' });
      expect(ok('diagnose -c eu-1')).toEqual({ kind: 'diagnose', cluster: 'eu-1' });
      expect(ok('diagnose --cluster=eu-1')).toEqual({ kind: 'diagnose', cluster: 'eu-1' });
      expect(ok('/redis status prod')).toEqual({ kind: 'status', cluster: 'prod' });
    });
    it('reads failover with every kind of node and mode', () => {
      expect(ok(`failover ${ID}`)).toEqual({ kind: 'failover', node: ID, mode: 'default' });
      expect(ok('failover e7d1ee force')).toEqual({ kind: 'failover', node: 'e7d1ee', mode: 'force' });
      expect(ok('failover 10.0.0.5:6379 takeover --cluster prod')).toEqual({
        kind: 'failover',
        node: '10.0.0.5:6379',
        mode: 'takeover',
        cluster: 'prod',
      });
      expect(ok('failover redis-cluster-2 TAKEOVER')).toMatchObject({
        node: 'redis-cluster-2',
        mode: 'takeover',
      });
    });
    it('reads forget, join (with replica-of) and restart', () => {
      expect(ok(`forget ${ID}`)).toEqual({ kind: 'forget', node: ID });
      expect(ok('join 127.0.0.1:7006')).toEqual({ kind: 'join', node: '127.0.0.1:7006' });
      expect(ok('join redis-cluster-5 replica-of e7d1eecc -c prod')).toEqual({
        kind: 'join',
        node: 'redis-cluster-5',
        replicaOf: 'e7d1eecc',
        cluster: 'prod',
      });
      expect(ok('restart redis-cluster-0')).toEqual({ kind: 'restart', pod: 'redis-cluster-0' });
    });
    it('reads plans, cancel, audit and clusters', () => {
      expect(ok('plans')).toEqual({ kind: 'plans' });
      expect(ok('plans prod')).toEqual({ kind: 'plans', cluster: 'prod' });
      expect(ok('cancel p-abc123defg')).toEqual({ kind: 'cancel', plan: 'p-abc123defg' });
      expect(ok('audit')).toEqual({ kind: 'audit', n: 10 });
      expect(ok('audit 25')).toEqual({ kind: 'audit', n: 25 });
      expect(ok('audit p-abc123defg')).toEqual({ kind: 'audit', n: 100, plan: 'p-abc123defg' });
      expect(ok('clusters')).toEqual({ kind: 'clusters' });
    });
    it('reads the sandbox chaos sub-commands', () => {
      for (const a of ['kill-master', 'replace-pod', 'thaw', 'kill-majority', 'orphan'])
        expect(ok(`chaos ${a}`)).toEqual({ kind: 'chaos', action: a });
      expect(ok('chaos freeze 127.0.0.1:7001')).toEqual({
        kind: 'chaos',
        action: 'freeze',
        node: '127.0.0.1:7001',
      });
    });
    it('accepts phone punctuation: non-breaking spaces and an em dash for --', () => {
      expect(ok('status\u00a0—cluster prod')).toEqual({ kind: 'status', cluster: 'prod' });
    });
  });

  describe('when the input is wrong', () => {
    it('says a sub-command is unknown and suggests the closest one', () => {
      const r = bad('staus');
      expect(r.error).toContain('unknown sub-command "staus"');
      expect(r.suggestion).toBe('/redis status');
      expect(r.usage).toContain('/redis diagnose');
      expect(bad('diagnsoe').suggestion).toBe('/redis diagnose');
      expect(bad('failovr x').suggestion).toBe('/redis failover');
      expect(bad('xyzzy').suggestion).toBeUndefined();
    });
    it('a typed approval points at the buttons instead', () => {
      for (const word of ['approve', 'Approve p-abc123', 'reject', 'lgtm']) {
        const r = bad(word);
        expect(r.error).toContain('with the Approve / Reject buttons on the plan message');
        expect(r.error).toContain('/redis plans');
      }
    });
    it('says what is missing and shows the sub-command usage', () => {
      const r = bad('failover');
      expect(r.error).toBe('<node> is missing');
      expect(r.usage).toContain('/redis failover <node> [force|takeover]');
      expect(r.usage).toContain('pod name');
      expect(r.command).toBe('failover');
    });
    it('refuses a node that is none of id, prefix, host:port or pod name', () => {
      expect(bad('forget Not_A_Node!').error).toContain('is not a <node>');
      expect(bad('forget 10.0.0.1:99999').error).toContain('is not a <node>');
      expect(bad('forget :6379').error).toContain('is not a <node>');
    });
    it('suggests the failover mode and chaos action when misspelt', () => {
      expect(bad('failover e7d1ee forse').suggestion).toBe('/redis failover e7d1ee force');
      expect(bad('chaos kill-mastr').suggestion).toBe('/redis chaos kill-master');
    });
    it('refuses extra words, unknown options, bad cluster names and bad numbers', () => {
      expect(bad('status prod extra').error).toContain('unexpected word "extra"');
      expect(bad('status --clutser prod').suggestion).toBe('--cluster <name>');
      expect(bad('status --cluster').error).toContain('needs a cluster name');
      expect(bad('status Prod_1').error).toContain('not a cluster name');
      expect(bad('status a --cluster b').error).toContain('given twice');
      expect(bad('audit 0').error).toContain('between 1 and 100');
      expect(bad('audit 1000').error).toContain('between 1 and 100');
      expect(bad('join x:1 master-of y').suggestion).toBeUndefined();
      expect(bad('join 10.0.0.1:1 replica-of').error).toContain('<master> is missing');
      expect(bad('restart Redis-0').error).toContain('not a pod name');
      expect(bad('cancel').error).toContain('<plan-id> is missing');
      expect(bad('clusters --cluster a').error).toContain('takes no --cluster');
    });
    it('quotes long and hostile tokens safely', () => {
      const r = bad(`forget ${'<!channel>'.repeat(20)}`);
      expect(r.error).not.toContain('<!channel>');
      expect(r.error.length).toBeLessThan(300);
      expect(bad('x'.repeat(5000)).error).toContain('too long');
    });
  });

  it('never throws, and always answers, on 10,000 generated texts', () => {
    const words = fc.constantFrom(
      'status',
      'diagnose',
      'failover',
      'forget',
      'join',
      'restart',
      'plans',
      'cancel',
      'audit',
      'clusters',
      'help',
      'chaos',
      'force',
      'takeover',
      'replica-of',
      '--cluster',
      '-c',
      '--cluster=',
      ID,
      'e7d1ee',
      '127.0.0.1:7000',
      'redis-0',
      'freeze',
      'thaw',
      '0',
      '101',
      'p-abc',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.array(fc.oneof(words, fc.string({ maxLength: 12 })), { maxLength: 8 }).map((a) => a.join(' ')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const r = parseIntent(t);
        if (r.ok) expect(r.intent.kind).toBeTypeOf('string');
        else {
          expect(r.error.length).toBeGreaterThan(0);
          expect(r.usage.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 10_000 },
    );
    expect(parseIntent(undefined).ok).toBe(true);
    expect(parseIntent(42).ok).toBe(true);
  });
});

describe('classifyNodeRef', () => {
  it('tells ids, prefixes, addresses and pod names apart', () => {
    expect(classifyNodeRef(ID)).toBe('id');
    expect(classifyNodeRef('e7d1ee')).toBe('id-prefix');
    expect(classifyNodeRef('e7d1e')).toBe('pod');
    expect(classifyNodeRef('127.0.0.1:7000')).toBe('addr');
    expect(classifyNodeRef('redis-node.svc.cluster.local:6379')).toBe('addr');
    expect(classifyNodeRef('[::1]:7000')).toBe('addr');
    expect(classifyNodeRef('redis-cluster-0')).toBe('pod');
    expect(classifyNodeRef('-bad')).toBeNull();
  });
});

describe('closest', () => {
  it('matches by edit distance and by prefix, never far-fetched', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('stat', ['status', 'diagnose'])).toBe('status');
    expect(closest('plns', ['plans', 'help'])).toBe('plans');
    expect(closest('zzzzzz', ['status', 'plans'])).toBeUndefined();
  });
});
