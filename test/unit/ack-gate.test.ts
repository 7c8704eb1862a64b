import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAckGate } from '../../src/adapters/slack/listeners/after-acks.ts';

/** A loopback server whose requests the gate counts; `/hold` is answered only when the test says so. */
async function serve(onAnswered: (path: string) => void) {
  const gate = createAckGate();
  const events: string[] = [];
  let workDone!: () => void;
  const worked = new Promise<void>((resolve) => {
    workDone = resolve;
  });
  let releaseHeld: () => void = () => undefined;
  const server: Server = createServer((req, res) => {
    gate.track(res);
    if (req.url === '/hold') {
      releaseHeld = () => {
        res.end('ok');
        events.push('held request answered');
      };
      onAnswered('/hold-arrived');
      return;
    }
    res.end('ok');
    events.push('request answered');
    void gate.afterPendingAcks().then(() => {
      events.push('work after the ack');
      workDone();
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
  return { server, events, get, worked, release: () => releaseHeld() };
}

let open: Server | undefined;
afterEach(() => {
  open?.closeAllConnections();
  open?.close();
});

describe('ack gate', () => {
  it("holds a listener's work until the other requests already taken in are answered", async () => {
    let arrived!: () => void;
    const heldArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const s = await serve(() => arrived());
    open = s.server;
    const held = s.get('/hold');
    await heldArrived;
    await s.get('/now');
    // The second request is answered; its work waits for the first one's answer.
    expect(s.events).toEqual(['request answered']);
    s.release();
    await held;
    await s.worked;
    expect(s.events).toEqual(['request answered', 'held request answered', 'work after the ack']);
  });

  it('lets the work go after a bounded wait when another request is never answered', async () => {
    let arrived!: () => void;
    const heldArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const s = await serve(() => arrived());
    open = s.server;
    void s.get('/hold').catch(() => undefined);
    await heldArrived;
    await s.get('/now');
    await s.worked;
    expect(s.events).toEqual(['request answered', 'work after the ack']);
  });
});
