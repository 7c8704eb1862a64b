/**
 * A small RESP server that plays many Redis Cluster nodes at once, one listening socket per simulated node
 * on its own loopback address (bench/sim/topology.ts). It answers what a scan sends — PING, INFO [sections],
 * CLUSTER NODES / INFO / MYID, CONFIG GET, PUBSUB NUMSUB, DBSIZE, AUTH, QUIT — each node with its own view;
 * slow nodes answer late, frozen ones never. Run as a child process of the watch bench, so the watcher's CPU
 * is measured alone: `npx tsx bench/sim/resp-server.ts '<SimScenario JSON>'` prints `ready <n>` once listening.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { RespDecoder, type RespValue } from '../../src/adapters/redis/resp.ts';
import {
  clusterInfoText,
  clusterNodesText,
  generateTopology,
  infoText,
  type SimNode,
  type SimScenario,
} from './topology.ts';

type Reply = string | number | null | { error: string } | { simple: string } | Reply[];

/** RESP2 bytes of one reply. */
function encode(r: Reply): string {
  if (r === null) return '$-1\r\n';
  if (typeof r === 'number') return `:${r}\r\n`;
  if (typeof r === 'string') return `$${Buffer.byteLength(r)}\r\n${r}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map(encode).join('')}`;
  if ('error' in r) return `-${r.error}\r\n`;
  return `+${r.simple}\r\n`;
}

/** What `self` answers to one command. */
export function answer(self: SimNode, cluster: SimNode[], args: string[]): Reply {
  const [cmd = '', sub = ''] = args.map((a) => a.toUpperCase());
  switch (cmd) {
    case 'PING':
      return { simple: 'PONG' };
    case 'AUTH':
    case 'QUIT':
      return { simple: 'OK' };
    case 'INFO':
      return infoText(
        self,
        cluster,
        args.slice(1).map((a) => a.toLowerCase()),
      );
    case 'DBSIZE':
      return 1000;
    case 'CONFIG':
      return sub === 'GET' ? [args[2] ?? '', args[2] === 'save' ? '3600 1' : ''] : { simple: 'OK' };
    case 'PUBSUB':
      return [args[2] ?? '', 0];
    case 'CLUSTER':
      if (sub === 'NODES') return clusterNodesText(self, cluster, Date.now());
      if (sub === 'INFO') return clusterInfoText(cluster);
      if (sub === 'MYID') return self.id;
      return { error: `ERR unknown subcommand '${args[1]}' for simulated node` };
    default:
      return { error: `ERR unknown command '${args[0]}' for simulated node` };
  }
}

/** Serves one connection of one simulated node. */
function serve(socket: Socket, self: SimNode, cluster: SimNode[]): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  if (self.frozen) return; // reads nothing, answers nothing: a stopped process with its sockets open
  const decoder = new RespDecoder();
  socket.on('data', (chunk: Buffer) => {
    let commands: RespValue[];
    try {
      commands = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    let out = '';
    let quit = false;
    for (const c of commands) {
      const args = Array.isArray(c) ? c.map(String) : [];
      out += encode(answer(self, cluster, args));
      if (args[0]?.toUpperCase() === 'QUIT') quit = true;
    }
    const send = () => (quit ? socket.end(out) : socket.write(out));
    if (self.delayMs > 0) setTimeout(send, self.delayMs);
    else send();
  });
}

/** Listens for every simulated node; resolves with the servers once all listen. */
export async function startSimulatedNodes(scenario: SimScenario): Promise<{
  clusters: SimNode[][];
  servers: Server[];
}> {
  const clusters = generateTopology(scenario);
  const servers: Server[] = [];
  await Promise.all(
    clusters.flatMap((cluster) =>
      cluster.map(
        (node) =>
          new Promise<void>((resolve, reject) => {
            const server = createServer((s) => serve(s, node, cluster));
            server.once('error', reject);
            server.listen(node.port, node.host, () => resolve());
            servers.push(server);
          }),
      ),
    ),
  );
  return { clusters, servers };
}

if (process.argv[1]?.endsWith('resp-server.ts')) {
  const scenario = JSON.parse(process.argv[2] ?? '{}') as SimScenario;
  const { servers } = await startSimulatedNodes(scenario);
  process.stdout.write(`ready ${servers.length}\n`);
  // The bench closes our stdin (or dies): then stop.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
