/** Forming a cluster out of started nodes, and telling when it is healthy. */
import { parseInfo } from '../core/topology/parse-info.ts';
import type { LocalNode } from './server.ts';
import { waitUntil } from './wait-until.ts';

/** Sends one command to a node; the reply as text. */
export type NodeCli = (node: LocalNode, ...args: (string | number)[]) => Promise<string>;

function splitSlots(masters: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < masters; i++) {
    const start = Math.floor((i * 16384) / masters);
    const end = Math.floor(((i + 1) * 16384) / masters) - 1;
    out.push([start, end]);
  }
  return out;
}

/** Slots split evenly over the masters, everyone met, each replica following master `j % masters`. */
export async function formCluster(
  cli: NodeCli,
  masters: LocalNode[],
  replicas: LocalNode[],
  timeoutMs: number,
): Promise<void> {
  const members = [...masters, ...replicas];
  // Distinct epochs up front: no collision resolution rounds later.
  await Promise.all(
    masters.map(async (m, i) => {
      await cli(m, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
      const [start, end] = splitSlots(masters.length)[i]!;
      await cli(m, 'CLUSTER', 'ADDSLOTSRANGE', start, end);
    }),
  );
  // Every node meets three hubs, which meet everyone: gossip fills in the rest within a round or two.
  // A full mesh (n² MEETs at once) made 60-node clusters time out on a loaded machine.
  const hubs = members.slice(0, 3);
  await Promise.all(
    members.flatMap((a) => hubs.filter((h) => h !== a).map((h) => cli(a, 'CLUSTER', 'MEET', h.host, h.port))),
  );
  await waitUntil(
    async () => {
      const views = await Promise.all(members.map((m) => cli(m, 'CLUSTER', 'NODES')));
      return views.every((v) => {
        const lines = v.trim().split('\n');
        return lines.length === members.length && !v.includes('handshake');
      });
    },
    timeoutMs,
    'every node to know every other',
  );
  replicas.forEach((r, j) => {
    const m = masters[j % masters.length]!;
    r.masterId = m.id;
  });
  await Promise.all(
    replicas.map((r) =>
      waitUntil(
        async () => (await cli(r, 'CLUSTER', 'REPLICATE', r.masterId!)) === 'OK',
        timeoutMs,
        `${r.addr} to replicate ${r.masterId}`,
      ),
    ),
  );
}

/**
 * Every running member that knows other nodes: cluster_state:ok, no fail/pfail/handshake flags on running
 * nodes, replica links up, and every member saying the same of each running node's role, master and epoch.
 */
export async function isClusterHealthy(cli: NodeCli, live: LocalNode[]): Promise<boolean> {
  // What each member says of every running node: all must agree, or the first `status` after "ready"
  // shows gossip still settling as disagreements.
  const said = new Map<string, string>();
  for (const n of live) {
    const info = parseInfo(await cli(n, 'CLUSTER', 'INFO'));
    if (Number(info.cluster_known_nodes) <= 1) continue; // alone: not a member
    if (info.cluster_state !== 'ok') return false;
    // Nodes we run must not be flagged failing or in handshake; dead ones may be.
    const running = new Set(live.map((x) => x.addr));
    for (const line of (await cli(n, 'CLUSTER', 'NODES')).split('\n')) {
      const [id = '', addrField = '', flags = '', master = '', , , epoch = ''] = line.split(' ');
      const addr = addrField.split('@')[0] ?? '';
      if (!running.has(addr)) continue;
      if (/(^|,)(fail\??|handshake)(,|$)/.test(flags)) return false;
      const role = /(^|,)master(,|$)/.test(flags) ? 'master' : `replica of ${master}`;
      const view = `${id} ${role} epoch ${epoch}`;
      if ((said.get(addr) ?? view) !== view) return false;
      said.set(addr, view);
    }
    const repl = parseInfo(await cli(n, 'INFO', 'replication'));
    if (repl.role === 'slave' && repl.master_link_status !== 'up') return false;
  }
  return true;
}
