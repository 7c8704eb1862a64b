/**
 * Bench-only load generator for the ack figure, in a process of its own as Slack's edge is: the Slack stand-in,
 * which receives the bot's answers, lives in the bench process and would otherwise delay the timing of acks.
 * Forked with IPC by bench/app.ts; each message is one burst of signed slash commands, sent at once.
 */
import { request } from 'node:http';
import { signedHeaders } from '../test/support/slack-signing.ts';

export interface AckBurst {
  url: string;
  secret: string;
  bodies: string[];
}

export interface AckReply {
  status: number;
  ms: number;
}

/** One POST on a new connection; its time to the end of the response. */
function post(url: URL, headers: Record<string, string>, body: string): Promise<AckReply> {
  return new Promise((resolve) => {
    const t = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
      },
    );
    req.once('error', () => resolve({ status: 0, ms: performance.now() - t }));
    req.end(body);
  });
}

process.on('message', async (m: AckBurst) => {
  const url = new URL(m.url);
  const signed = m.bodies.map((body) => ({ body, headers: signedHeaders(m.secret, body) }));
  const replies = await Promise.all(signed.map((r) => post(url, r.headers, r.body)));
  process.send?.(replies);
});
process.on('disconnect', () => process.exit(0));
