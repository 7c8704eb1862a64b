import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertGroupStore } from '../../src/adapters/store/alert-groups.ts';
import { createLeases } from '../../src/adapters/store/leases.ts';
import { createWatchStateStore, watchStateKey } from '../../src/adapters/store/watch-state.ts';
import type { WatchStore } from '../../src/app/watch/ports.ts';
import { randomPrefix } from '../support/plan-fixtures.ts';
import { useRedis } from '../support/redis-cluster.ts';

const control = useRedis();
let redis: Redis;

beforeAll(() => {
  redis = new Redis(control.current.url);
});
afterAll(async () => {
  await redis.quit();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every WatchStore must do (the watcher and the alert intake rely on it). */
function watchStoreConformance(name: string, make: () => WatchStore) {
  describe(`${name} as a WatchStore`, () => {
    it('gives the lease to one owner at a time, renews it for that owner only, and hands it over on release', async () => {
      const store = make();
      expect(await store.holdLease('a', 5000)).toBe('acquired');
      expect(await store.holdLease('b', 5000)).toBe('held-elsewhere');
      expect(await store.holdLease('a', 5000)).toBe('renewed');
      expect(await store.renewLease('a', 5000)).toBe(true);
      expect(await store.renewLease('b', 5000)).toBe(false);
      await store.releaseLease('b'); // not b's: a keeps it
      expect(await store.holdLease('b', 5000)).toBe('held-elsewhere');
      await store.releaseLease('a');
      expect(await store.renewLease('a', 5000)).toBe(false);
      expect(await store.holdLease('b', 5000)).toBe('acquired');
    });

    it('lets the lease lapse when its owner stops renewing it', async () => {
      const store = make();
      expect(await store.holdLease('a', 200)).toBe('acquired');
      await sleep(400);
      expect(await store.renewLease('a', 200)).toBe(false);
      expect(await store.holdLease('b', 5000)).toBe('acquired');
    });

    it('reads nothing stored as an empty state, and a saved state back as it was', async () => {
      const store = make();
      expect(await store.load('alpha')).toEqual({});
      const state = {
        scanFailing: 'no node answered',
        pendingSince: 1000,
        incident: { channel: 'C1', ts: '1.2', openedAt: 900, announced: ['k1'], planId: 'p-1' },
      };
      await store.save('alpha', state);
      expect(await store.load('alpha')).toEqual(state);
      expect(await store.load('beta')).toEqual({});
    });

    it('replaces only the incident when asked to, keeping the rest of the state', async () => {
      const store = make();
      await store.save('alpha', { pendingSince: 5, scanFailing: 'x' });
      const incident = { channel: 'C2', ts: '3.4', openedAt: 7, announced: [] };
      await store.setIncident('alpha', incident);
      expect(await store.load('alpha')).toEqual({ pendingSince: 5, scanFailing: 'x', incident });
      await store.setIncident('alpha', undefined);
      expect(await store.load('alpha')).toEqual({ pendingSince: 5, scanFailing: 'x' });
    });
  });
}

watchStoreConformance('the control-Redis watch state', () => createWatchStateStore(redis, randomPrefix()));

describe('the control-Redis watch state', () => {
  it('keeps a cluster state under <prefix>:watch:state:<cluster>, where every replica finds it', async () => {
    const prefix = randomPrefix();
    await createWatchStateStore(redis, prefix).save('alpha', { pendingSince: 1 });
    expect(JSON.parse((await redis.get(watchStateKey(prefix, 'alpha'))) ?? 'null')).toEqual({
      pendingSince: 1,
    });
  });
});

describe('leases', () => {
  it('acquires only a free lease, with its TTL, and tells who holds it', async () => {
    const leases = createLeases(redis);
    const key = `${randomPrefix()}:lease`;
    expect(await leases.acquire(key, 'a', 10_000)).toBe(true);
    expect(await leases.acquire(key, 'b', 10_000)).toBe(false);
    expect(await leases.holder(key)).toBe('a');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(await leases.release(key, 'b')).toBe(false);
    expect(await leases.release(key, 'a')).toBe(true);
    expect(await leases.holder(key)).toBeNull();
  });

  it('lets exactly one of many owners take a free lease at once', async () => {
    const leases = createLeases(redis);
    const key = `${randomPrefix()}:lease`;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => leases.hold(key, `owner-${i}`, 10_000)),
    );
    expect(outcomes.filter((o) => o === 'acquired')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'held-elsewhere')).toHaveLength(9);
  });

  it('renews the TTL for its owner', async () => {
    const leases = createLeases(redis);
    const key = `${randomPrefix()}:lease`;
    await leases.acquire(key, 'a', 1000);
    expect(await leases.renew(key, 'a', 60_000)).toBe(true);
    expect(await redis.pttl(key)).toBeGreaterThan(1000);
    expect(await leases.renew(key, 'b', 60_000)).toBe(false);
  });
});

describe('alert groups in the control Redis', () => {
  it('reads back a saved group, kept for a week, and nothing for an unknown group', async () => {
    const prefix = randomPrefix();
    const groups = createAlertGroupStore(redis, prefix);
    expect(await groups.load('{}:{alertname="X"}')).toBeUndefined();
    const g = { status: 'firing' as const, count: 1, channel: 'C1', ts: '1.2', cluster: 'alpha' };
    await groups.save('{}:{alertname="X"}', g);
    expect(await groups.load('{}:{alertname="X"}')).toEqual(g);
    const [key] = await redis.keys(`${prefix}:alerts:group:*`);
    expect(await redis.ttl(key as string)).toBeGreaterThan(6 * 24 * 3600);
  });
});
