import { afterAll, describe, expect, it } from 'vitest';
import { createNodeCommander } from '../../src/adapters/redis/node-commander.ts';
import { CodedError } from '../../src/core/errors.ts';
import type { NodeCommander } from '../../src/core/ports.ts';
import { pickFreePort } from '../../src/sandbox/local-cluster.ts';
import { useRedis } from '../support/redis-cluster.ts';

async function codeOf(p: Promise<unknown>): Promise<CodedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('node commander', () => {
  const redis = useRedis({ password: 's3cret-pw', extraConfig: ['enable-debug-command yes'] });
  const commanders: NodeCommander[] = [];
  const make = (...args: Parameters<typeof createNodeCommander>) => {
    const c = createNodeCommander(...args);
    commanders.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(commanders.map((c) => c.close()));
  });

  it('sends a command and returns the reply as text', async () => {
    const c = make({ password: 's3cret-pw' });
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
    expect(await c.call(redis.current.addr, ['SET', 'k', 1])).toBe('OK');
    expect(await c.call(redis.current.addr, ['CONFIG', 'GET', 'save'])).toEqual(['save', '']);
  });

  it('runs concurrent first calls on one connection', async () => {
    const c = make({ password: 's3cret-pw' });
    const replies = await Promise.all([1, 2, 3, 4].map((i) => c.call(redis.current.addr, ['ECHO', `m${i}`])));
    expect(replies).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('reports a Redis error reply as NODE_ERROR with the address', async () => {
    const c = make({ password: 's3cret-pw' });
    const err = await codeOf(c.call(redis.current.addr, ['NOSUCHCOMMAND']));
    expect(err.code).toBe('NODE_ERROR');
    expect(err.message).toContain(redis.current.addr);
    // the connection stays usable
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
  });

  it('reports a wrong password as NODE_ERROR without printing the password', async () => {
    const c = make({ password: 'not-the-password' });
    const err = await codeOf(c.call(redis.current.addr, ['PING']));
    expect(err.code).toBe('NODE_ERROR');
    expect(err.details?.auth).toBe(true);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('not-the-password');
  });

  it('reports a refused port as NODE_UNREACHABLE', async () => {
    const c = make({});
    const port = await pickFreePort();
    const err = await codeOf(c.call(`127.0.0.1:${port}`, ['PING']));
    expect(err.code).toBe('NODE_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('gives up on a frozen node within its timeout, then reconnects once it thaws', async () => {
    const c = make({ password: 's3cret-pw' }, { timeoutMs: 300 });
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
    redis.current.freeze();
    try {
      const t0 = performance.now();
      const err = await codeOf(c.call(redis.current.addr, ['PING']));
      const ms = performance.now() - t0;
      expect(err.code).toBe('NODE_TIMEOUT');
      expect(ms).toBeLessThan(300 + 250);
      // a fresh connection to a frozen node is bounded too
      const c2 = make({ password: 's3cret-pw' }, { timeoutMs: 300 });
      const t1 = performance.now();
      expect((await codeOf(c2.call(redis.current.addr, ['PING']))).code).toBe('NODE_TIMEOUT');
      expect(performance.now() - t1).toBeLessThan(300 + 250);
    } finally {
      redis.current.thaw();
    }
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
  });

  it('many calls timing out together on a frozen node drop its connection once: no listener leak warning', async () => {
    const c = make({ password: 's3cret-pw' }, { timeoutMs: 300 });
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    redis.current.freeze();
    try {
      const errs = await Promise.all(
        Array.from({ length: 20 }, () => codeOf(c.call(redis.current.addr, ['INFO']))),
      );
      expect(errs.every((e) => e.code === 'NODE_TIMEOUT')).toBe(true);
      await new Promise((r) => setImmediate(r));
    } finally {
      redis.current.thaw();
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
  });

  it('honours a per-call timeout longer than the default', async () => {
    const c = make({ password: 's3cret-pw' }, { timeoutMs: 200 });
    expect(await c.call(redis.current.addr, ['DEBUG', 'SLEEP', '0.4'], { timeoutMs: 2000 })).toBe('OK');
  });

  it('reconnects after the server restarts', async () => {
    const c = make({ password: 's3cret-pw' });
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
    await redis.current.restart();
    // the old socket is dead: the first call may fail, a later one reconnects
    await c.call(redis.current.addr, ['PING']).catch(() => undefined);
    expect(await c.call(redis.current.addr, ['PING'])).toBe('PONG');
  });
});
