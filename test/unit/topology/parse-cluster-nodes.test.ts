import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../../src/core/topology/index.ts';
import type { NodeView } from '../../../src/core/types.ts';
import { fixture } from './helpers.ts';

const A = 'e64f0b9d8ca9b97ebe0ef4982542bd592cd5ee07';
const B = '4205c956cbb67e5155931c5dfa9377d903899226';

function one(line: string): NodeView {
  const r = parseClusterNodes(line);
  if (!r.ok) throw new Error(r.error);
  expect(r.value).toHaveLength(1);
  return r.value[0]!;
}

function failure(text: string): string {
  const r = parseClusterNodes(text);
  if (r.ok) throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
  return r.error;
}

describe('parseClusterNodes', () => {
  describe('on every CLUSTER NODES listing of the write-ups', () => {
    const dir = fileURLToPath(new URL('../../fixtures/cluster-nodes/', import.meta.url));
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
      it(`reads every line of ${name}`, () => {
        const text = fixture(`cluster-nodes/${name}`);
        const r = parseClusterNodes(text);
        expect(r.ok, r.ok ? '' : r.error).toBe(true);
        if (!r.ok) return;
        const lines = text.split('\n').filter((l) => l.trim() !== '');
        expect(r.value).toHaveLength(lines.length);
        expect(r.value.map((v) => v.id)).toEqual(lines.map((l) => l.split(' ')[0]));
        expect(r.value.filter((v) => v.flags.includes('myself'))).toHaveLength(1);
      });
    }
  });

  describe('when a line has an ip:port@cport address', () => {
    it('splits host, port and bus port and keeps the addr as host:port', () => {
      const v = one(`${A} 10.42.2.79:6379@16379 master - 0 1710043737000 3 connected 10923-16383`);
      expect(v).toMatchObject({ addr: '10.42.2.79:6379', host: '10.42.2.79', port: 6379, cport: 16379 });
      expect(v.hostname).toBeUndefined();
    });
  });

  describe('when the address carries a hostname (Redis 7)', () => {
    it('keeps the hostname apart from the address', () => {
      const v = one(`${A} 10.0.0.5:6379@16379,redis-0.redis.svc myself,master - 0 0 1 connected 0-100`);
      expect(v).toMatchObject({ addr: '10.0.0.5:6379', hostname: 'redis-0.redis.svc', cport: 16379 });
    });

    it('accepts an empty hostname and extra key=value fields', () => {
      const v = one(`${A} 10.0.0.5:6379@16379,,shard-id=abc master - 0 0 1 connected`);
      expect(v.addr).toBe('10.0.0.5:6379');
      expect(v.hostname).toBeUndefined();
    });
  });

  describe('when the node has no address (:0@0)', () => {
    it('gives a null addr and keeps the noaddr flag', () => {
      const v = one(`${A} :0@0 master,noaddr - 1710044090847 1710044085792 3 disconnected`);
      expect(v.addr).toBeNull();
      expect(v.port).toBe(0);
      expect(v.flags).toEqual(['master', 'noaddr']);
      expect(v.link).toBe('disconnected');
    });
  });

  describe('when a fresh node does not know its own IP yet (:6379@16379)', () => {
    it('gives an empty host, the port, and a null addr', () => {
      const v = one(fixture('cluster-nodes/000-rcc-new-node-alone.txt'));
      expect(v).toMatchObject({ id: B, host: '', port: 6379, cport: 16379, addr: null });
      expect(v.flags).toEqual(['myself', 'master']);
      expect(v.configEpoch).toBe(0);
    });
  });

  describe('when the line comes from Redis 3/4 (no @cport)', () => {
    it('reads the address without a bus port', () => {
      const v = one(`${A} 127.0.0.1:7000 myself,master - 0 0 1 connected 0-5460`);
      expect(v.addr).toBe('127.0.0.1:7000');
      expect(v.cport).toBeUndefined();
    });
  });

  describe('when the address is IPv6', () => {
    it('splits at the last colon', () => {
      expect(one(`${A} ::1:7000@17000 master - 0 0 1 connected`).addr).toBe('::1:7000');
      expect(one(`${A} [fe80::1]:7000@17000 master - 0 0 1 connected`).host).toBe('fe80::1');
    });
  });

  describe('flags', () => {
    it('reads every flag Redis prints', () => {
      const v = one(
        `${A} 10.0.0.1:6379@16379 myself,slave,fail?,fail,handshake,noaddr,nofailover ${B} 0 0 1 connected`,
      );
      expect(v.flags).toEqual(['myself', 'slave', 'fail?', 'fail', 'handshake', 'noaddr', 'nofailover']);
      expect(v.masterId).toBe(B);
    });

    it('reads noflags', () => {
      expect(one(`${A} 10.0.0.1:6379@16379 noflags - 0 0 0 connected`).flags).toEqual(['noflags']);
    });

    it('skips a lowercase flag a newer server may add', () => {
      expect(one(`${A} 10.0.0.1:6379@16379 master,newflag - 0 0 0 connected`).flags).toEqual(['master']);
    });

    it('gives a null master for "-"', () => {
      expect(one(`${A} 10.0.0.1:6379@16379 master - 0 0 0 connected`).masterId).toBeNull();
    });
  });

  describe('slots', () => {
    it('reads single slots and ranges', () => {
      const v = one(`${A} 10.0.0.1:6379@16379 master - 0 0 1 connected 0-5460 5462 16383`);
      expect(v.slots).toEqual([
        { start: 0, end: 5460 },
        { start: 5462, end: 5462 },
        { start: 16383, end: 16383 },
      ]);
    });

    it('reads migrating [N->-id] and importing [N-<-id] markers apart from the slots', () => {
      const v = one(
        `${A} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-100 [93->-${B}] [5000-<-${B}]`,
      );
      expect(v.slots).toEqual([{ start: 0, end: 100 }]);
      expect(v.migrating).toEqual([{ slot: 93, nodeId: B }]);
      expect(v.importing).toEqual([{ slot: 5000, nodeId: B }]);
    });
  });

  describe('whitespace', () => {
    it('ignores empty lines and CRLF line ends', () => {
      const r = parseClusterNodes(
        `\r\n${A} 10.0.0.1:6379@16379 master - 0 0 1 connected 0-1\r\n\r\n${B} 10.0.0.2:6379@16379 slave ${A} 0 0 1 connected\r\n`,
      );
      expect(r.ok && r.value.map((v) => v.id)).toEqual([A, B]);
    });

    it('gives an empty list for empty text', () => {
      expect(parseClusterNodes('')).toEqual({ ok: true, value: [] });
    });
  });

  describe('when a line is garbage', () => {
    const good = `${A} 10.0.0.1:6379@16379 master - 0 0 1 connected 0-1`;
    const cases: [string, string][] = [
      ['too few fields', `${A} 10.0.0.1:6379@16379 master -`],
      ['a short node id', `abc123 10.0.0.1:6379@16379 master - 0 0 1 connected`],
      ['an address without port', `${A} 10.0.0.1 master - 0 0 1 connected`],
      ['a port above 65535', `${A} 10.0.0.1:70000@17000 master - 0 0 1 connected`],
      ['a bad master id', `${A} 10.0.0.1:6379@16379 slave nope 0 0 1 connected`],
      ['a non-numeric epoch', `${A} 10.0.0.1:6379@16379 master - 0 0 x connected`],
      ['an unknown link state', `${A} 10.0.0.1:6379@16379 master - 0 0 1 linked`],
      ['a slot above 16383', `${A} 10.0.0.1:6379@16379 master - 0 0 1 connected 0-16384`],
      ['a reversed range', `${A} 10.0.0.1:6379@16379 master - 0 0 1 connected 10-5`],
      ['a broken open-slot marker', `${A} 10.0.0.1:6379@16379 master - 0 0 1 connected [93->-xyz]`],
      ['a flag list with punctuation', `${A} 10.0.0.1:6379@16379 MASTER! - 0 0 1 connected`],
      ['an error reply', 'ERR This instance has cluster support disabled'],
    ];
    for (const [what, line] of cases) {
      it(`refuses ${what} and quotes the line with its number`, () => {
        const error = failure(`${good}\n${line}`);
        expect(error).toContain('line 2');
        expect(error).toContain(line);
      });
    }
  });
});
