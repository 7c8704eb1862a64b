import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SlackStandIn } from './slack-stand-in.ts';

/**
 * A local stand-in for Slack's Socket Mode endpoint: a `ws` server that `apps.connections.open` (on the Web API
 * stand-in) points to. Like Slack it greets each connection with `hello`, sends envelopes
 * `{ envelope_id, type, payload, accepts_response_payload }` and reads acks `{ envelope_id, payload? }`.
 */
export class SocketModeStandIn {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, (ack: SocketAck) => void>();
  readonly acks: SocketAck[] = [];
  url = '';

  constructor() {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.wss.on('connection', (ws) => {
      this.sockets.add(ws);
      // Slack pings every connection; the client drops a link that stays silent for 30 s.
      const pinger = setInterval(() => ws.ping(), 5000);
      ws.on('close', () => {
        clearInterval(pinger);
        this.sockets.delete(ws);
      });
      ws.on('message', (data) => {
        let msg: SocketAck;
        try {
          msg = JSON.parse(String(data)) as SocketAck;
        } catch {
          return;
        }
        if (!msg.envelope_id) return;
        this.acks.push(msg);
        this.pendingAcks.get(msg.envelope_id)?.(msg);
        this.pendingAcks.delete(msg.envelope_id);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'applink-standin', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0MEDIC01' },
        }),
      );
    });
  }

  async start(web: SlackStandIn): Promise<this> {
    await new Promise<void>((resolve) => this.wss.once('listening', () => resolve()));
    const { port } = this.wss.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}&app_id=A0MEDIC01`;
    web.socketModeUrl = this.url;
    return this;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async waitForConnection(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size === 0) {
      if (Date.now() > deadline) throw new Error('socket-mode stand-in: no client connected');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a slash command envelope to every connected client and resolves with the client's ack. */
  sendSlashCommand(payload: Record<string, unknown>, timeoutMs = 5000): Promise<SocketAck> {
    return this.sendEnvelope('slash_commands', payload, timeoutMs);
  }

  sendInteractive(payload: Record<string, unknown>, timeoutMs = 5000): Promise<SocketAck> {
    return this.sendEnvelope('interactive', payload, timeoutMs);
  }

  sendEnvelope(type: string, payload: Record<string, unknown>, timeoutMs: number): Promise<SocketAck> {
    const envelopeId = randomUUID();
    const [ws] = this.sockets;
    if (!ws) return Promise.reject(new Error('socket-mode stand-in: no client connected'));
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`socket-mode stand-in: no ack for ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingAcks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }));
    });
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export async function startSocketModeStandIn(web: SlackStandIn): Promise<SocketModeStandIn> {
  return new SocketModeStandIn().start(web);
}
