/**
 * Picking ports at run time: a data port below 22000 whose bus port (+10000) is free too, so parallel test
 * workers never clash. Ports handed out are reserved in this process until released.
 */
import { createServer } from 'node:net';

const reservedPorts = new Set<string>();

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Data ports are drawn from this range (bus ports +10000, so data ports stay below 22000: the bus ports then stay
 * under the ephemeral range). The sandbox uses all of it; tests give each vitest worker its own slice
 * (test/support/port-slice.ts), so two processes never reuse a port the other's nodes still gossip to.
 */
let portRange = { min: 10_000, max: 21_999 };

/** The ports this process draws from. */
export function getPortRange(): { min: number; max: number } {
  return { ...portRange };
}

/** Narrows the ports this process draws from (inclusive; within 1024..21999). */
export function setPortRange(range: { min: number; max: number }): void {
  if (!(range.min >= 1024 && range.max <= 21_999 && range.max - range.min >= 10))
    throw new Error(
      `port range ${range.min}-${range.max} must lie within 1024-21999 and hold 10 ports or more`,
    );
  portRange = { ...range };
}

/** A data port < 22000 such that it and its bus port (+10000) are free on `host`. */
export async function pickFreePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = portRange.min + Math.floor(Math.random() * (portRange.max - portRange.min));
    const key = `${host}:${port}`;
    if (
      reservedPorts.has(key) ||
      reservedPorts.has(`${host}:${port + 10_000}`) ||
      reservedPorts.has(`${host}:${port - 10_000}`)
    )
      continue;
    if ((await canBind(host, port)) && (await canBind(host, port + 10_000))) {
      reservedPorts.add(key);
      return port;
    }
  }
  throw new Error(`no free port pair in ${portRange.min}-${portRange.max} on ${host}`);
}

/** A data port free (with its bus port) on every one of `hosts`: pods at several IPs sharing one container port. */
export async function pickSharedPort(hosts: string[]): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await pickFreePort(hosts[0]);
    let free = true;
    for (const h of hosts.slice(1)) {
      if (!(await canBind(h, port)) || !(await canBind(h, port + 10_000))) free = false;
    }
    if (free) {
      for (const h of hosts) reservedPorts.add(`${h}:${port}`);
      return port;
    }
  }
  throw new Error(`no data port free on all of ${hosts.join(', ')}`);
}

/** Keeps `host:port` from being handed out. */
export function reservePort(addr: string): void {
  reservedPorts.add(addr);
}

export function releasePort(addr: string): void {
  reservedPorts.delete(addr);
}
