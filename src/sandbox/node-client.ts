/** Talking to a local node: fail-fast, one cached ioredis connection per addr per owner. */
import { Redis } from 'ioredis';

export type Clients = Map<string, Redis>;

function clientFor(clients: Clients, host: string, port: number, password?: string): Redis {
  const key = `${host}:${port}`;
  let c = clients.get(key);
  if (c && (c.status === 'end' || c.status === 'close')) {
    clients.delete(key);
    c = undefined;
  }
  if (!c) {
    c = new Redis({
      host,
      port,
      password,
      lazyConnect: true,
      connectTimeout: 1000,
      commandTimeout: 3000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      protocol: 2,
    });
    c.on('error', () => {});
    clients.set(key, c);
  }
  return c;
}

/** Sends one command; the raw reply. */
export async function callOn(
  clients: Clients,
  host: string,
  port: number,
  password: string | undefined,
  args: (string | number)[],
): Promise<unknown> {
  const c = clientFor(clients, host, port, password);
  try {
    if (c.status === 'wait') await c.connect();
    const [cmd, ...rest] = args;
    return await c.call(String(cmd), ...rest);
  } catch (err) {
    // Drop a broken connection so the next call reconnects.
    if (!(err instanceof Error && err.name === 'ReplyError')) {
      c.disconnect();
      clients.delete(`${host}:${port}`);
    }
    throw err;
  }
}

/** A reply as text, arrays one item per line (like redis-cli). */
export function render(reply: unknown): string {
  if (reply === null || reply === undefined) return '';
  if (Array.isArray(reply)) return reply.map(render).join('\n');
  if (Buffer.isBuffer(reply)) return reply.toString();
  return String(reply);
}

/** Drops the connection to one addr (its process was killed). */
export function dropClient(clients: Clients, addr: string): void {
  clients.get(addr)?.disconnect();
  clients.delete(addr);
}

export function closeClients(clients: Clients): void {
  for (const c of clients.values()) c.disconnect();
  clients.clear();
}
