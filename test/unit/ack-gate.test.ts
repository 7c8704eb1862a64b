import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAckGate } from '../../src/adapters/slack/ack-gate.ts';

/** The server of the running test, closed after it. */
let open: Server | undefined;

/** A promise and the function that resolves it. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

/**
 * A loopback server whose requests the gate counts; `/hold` is answered only when the test says so. Sends
 * `/hold`, waits until the server has it, then sends a request that is answered at once (and whose work waits).
 */
async function serveHeldThenNow() {
  const gate = createAckGate();
  const events: string[] = [];
  const work = signal();
  const holdArrived = signal();
  let releaseHeld: () => void = () => undefined;
  const server: Server = createServer((req, res) => {
    gate.track(res);
    if (req.url === '/hold') {
      releaseHeld = () => {
        res.end('ok');
        events.push('held request answered');
      };
      holdArrived.fire();
      return;
    }
    res.end('ok');
    events.push('request answered');
    void gate.afterPendingAcks().then(() => {
      events.push('work after the ack');
      work.fire();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const get = (path: string) =>
    new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        res.once('end', resolve);
      })
        .once('error', reject)
        .end();
    });
  open = server;
  const held = get('/hold');
  held.catch(() => undefined);
  await holdArrived.fired;
  await get('/now');
  return { events, held, worked: work.fired, release: () => releaseHeld() };
}

afterEach(() => {
  open?.closeAllConnections();
  open?.close();
});

describe('ack gate', () => {
  it("holds a listener's work until the other requests already taken in are answered", async () => {
    const s = await serveHeldThenNow();
    // The second request is answered; its work waits for the first one's answer.
    expect(s.events).toEqual(['request answered']);
    s.release();
    await s.held;
    await s.worked;
    expect(s.events).toEqual(['request answered', 'held request answered', 'work after the ack']);
  });

  it('lets the work go after a bounded wait when another request is never answered', async () => {
    const s = await serveHeldThenNow();
    await s.worked;
    expect(s.events).toEqual(['request answered', 'work after the ack']);
  });
});
