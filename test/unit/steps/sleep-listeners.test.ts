import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../../src/app/steps/support.ts';

// waitFor() polls with sleep(pollMs, signal) for up to a minute per step: each poll must not leave an
// 'abort' listener on the plan's signal (hundreds per wait, held until the plan ends).
describe('sleep(ms, signal)', () => {
  it('removes its abort listener when the time is up', async () => {
    const abort = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, abort.signal);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('ends at once when the signal aborts, and when it had already aborted', async () => {
    const abort = new AbortController();
    const t0 = Date.now();
    const p = sleep(60_000, abort.signal);
    abort.abort();
    await p;
    await sleep(60_000, abort.signal);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });
});
