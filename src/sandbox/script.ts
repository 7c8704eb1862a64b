/**
 * The sandbox's own console commands, usable by hand and in `--script` files, next to the console's
 * built-ins (`/as`, a button number, `wait <s>`, `wait-for <text>`, `expect <text>`, `exit`):
 *
 *   wait-healthy [seconds]   wait until every member says cluster_state:ok, no fail flags, replica links up
 *   wait-cluster-ok [s]      wait until every member says cluster_state:ok (after a promotion, before repair)
 *   revive [node]            restart a killed node with its nodes.conf (default: the last one killed)
 *   nodes                    the sandbox's processes: address, role as started, state, pid
 *
 * A script is a text file of such lines; `#` starts a comment. Example (test/integration/sandbox.test.ts):
 *
 *   chaos replace-pod
 *   wait-cluster-ok          # the replica has been promoted
 *   diagnose
 *   /as U0SECOND
 *   1 y
 *   wait-for succeeded
 *   wait-healthy
 *   status
 */

import type { ExtraCommand } from '../adapters/console/console.ts';
import type { ConsoleChatPort } from '../adapters/console/console-chat-port.ts';
import type { ChatMessage } from '../app/chat-port.ts';
import { parseClusterNodes } from '../core/topology/parse-cluster-nodes.ts';
import type { Chaos, ChaosReport } from './chaos.ts';
import type { LocalCluster } from './local-cluster.ts';

export interface SandboxCommandDeps {
  cluster: LocalCluster;
  chaos: Chaos;
  chatPort: ConsoleChatPort;
  channel: string;
  chaosMessage: (title: string, r: ChaosReport) => ChatMessage;
}

export function sandboxCommands(deps: SandboxCommandDeps): Record<string, ExtraCommand> {
  const { cluster, chaos, chatPort, channel } = deps;
  return {
    'wait-healthy': {
      usage: 'wait-healthy [seconds]',
      about:
        'wait until the cluster is healthy (cluster_state:ok, no fail flags, links up) and every node agrees',
      async run(ctx) {
        const s = ctx.args ? Number(ctx.args) : 60;
        if (!Number.isFinite(s) || s <= 0) throw new Error('usage: wait-healthy [seconds]');
        const t0 = Date.now();
        await cluster.waitHealthy(s * 1000);
        // Then until gossip has settled: every member tells the same story (roles, masters, slots, epochs),
        // so the bot's next status has no "nodes disagree" finding left over from the repair.
        await cluster.waitFor(
          async () => {
            const views = new Set<string>();
            for (const n of cluster.all().filter((x) => x.state === 'running')) {
              const parsed = parseClusterNodes(await cluster.cli(n, 'CLUSTER', 'NODES'));
              if (!parsed.ok) return false;
              if (parsed.value.length <= 1) continue; // alone: not a member
              const sig = parsed.value
                .map(
                  (v) =>
                    `${v.id} ${v.flags.includes('master') ? 'M' : 'R'} ${v.masterId ?? '-'} ${v.configEpoch} ${v.slots.map((r) => `${r.start}-${r.end}`).join(',')}`,
                )
                .sort()
                .join('\n');
              views.add(sig);
            }
            return views.size === 1;
          },
          Math.max(1000, s * 1000 - (Date.now() - t0)),
          'every member to agree on roles, slots and epochs',
        );
        const members = cluster.all().filter((n) => n.state === 'running');
        ctx.print(
          `cluster healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s: cluster_state:ok on every member (${members.length} processes running)`,
        );
      },
    },
    'wait-cluster-ok': {
      usage: 'wait-cluster-ok [seconds]',
      about: 'wait until every slot is served by a live master (e.g. a replica was promoted)',
      async run(ctx) {
        const s = ctx.args ? Number(ctx.args) : 30;
        if (!Number.isFinite(s) || s <= 0) throw new Error('usage: wait-cluster-ok [seconds]');
        const t0 = Date.now();
        await cluster.waitFor(
          async () => {
            const running = cluster.all().filter((x) => x.state === 'running');
            const live = new Set(running.map((x) => x.addr));
            for (const n of running) {
              const info = await cluster.cli(n, 'CLUSTER', 'INFO');
              if (/cluster_known_nodes:1\r?\n/.test(info)) continue; // alone: not a member
              if (!/cluster_state:ok/.test(info)) return false;
              // Every slot owner must be a live process: a master killed a moment ago still looks fine.
              const parsed = parseClusterNodes(await cluster.cli(n, 'CLUSTER', 'NODES'));
              if (!parsed.ok) return false;
              for (const v of parsed.value) {
                if (v.slots.length === 0 || !v.flags.includes('master')) continue;
                if (!v.addr || !live.has(v.addr) || v.flags.includes('fail') || v.flags.includes('fail?'))
                  return false;
              }
            }
            return true;
          },
          s * 1000,
          'every slot to be served by a live master',
        );
        ctx.print(`cluster_state:ok on every member after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      },
    },
    revive: {
      usage: 'revive [node]',
      about: 'restart a killed node with its nodes.conf, as `docker restart` (default: the last killed)',
      async run(ctx) {
        const r = await chaos.revive(ctx.args || undefined);
        await chatPort.post(channel, deps.chaosMessage('revive', r));
        await ctx.run('status');
      },
    },
    nodes: {
      usage: 'nodes',
      about: "the sandbox's redis-server processes",
      async run(ctx) {
        const rows = cluster
          .all()
          .map(
            (n) =>
              `${n.addr.padEnd(17)} ${n.role.padEnd(8)} ${n.state.padEnd(8)} pid ${n.pid}  id ${n.id.slice(0, 8)}…`,
          );
        ctx.print(rows.join('\n'));
      },
    },
  };
}
