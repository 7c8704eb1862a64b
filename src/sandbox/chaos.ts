/**
 * Sandbox-only `/redis chaos …`: breaks the local cluster the way the field write-ups describe, on real processes, and
 * says what Redis will do next. `SandboxPods` plays Kubernetes: the seed list a restarted "pod" joins at its new address.
 */

import type { ChaosHandler } from '../app/chat/service.ts';
import type { ChatMessage } from '../app/chat-port.ts';
import { CodedError, ErrorCodes } from '../core/errors.ts';
import { CHAOS_ACTIONS } from './chaos-actions.ts';
import {
  type ChaosContext,
  type ChaosReport,
  promotionSeconds,
  type SandboxPods,
  short,
} from './chaos-context.ts';
import type { LocalCluster, LocalNode } from './local-cluster.ts';

export { type ChaosReport, createSandboxPods, type SandboxPods } from './chaos-context.ts';

export interface ChaosDeps {
  cluster: LocalCluster;
  pods: SandboxPods;
  nodeTimeoutMs: number;
  /** Called with every process id started, so the sandbox can account for them at exit. */
  onProcess?: (node: LocalNode) => void;
}

export interface Chaos {
  handler: ChaosHandler;
  run(action: string, node?: string): Promise<ChaosReport>;
  /** Restart a killed node with its nodes.conf kept (as `docker restart` did in write-up 002). */
  revive(ref?: string): Promise<ChaosReport>;
  /** Nodes killed so far and not revived (most recent last). */
  killed(): LocalNode[];
  /** How many chaos actions have succeeded so far (the console shows status after each one). */
  succeeded(): number;
}

/** Restarts a killed node (the most recent, or the one named) with its nodes.conf. */
async function revive(c: ChaosContext, ref?: string): Promise<ChaosReport> {
  const killedNodes = c.killedNodes;
  const node = ref
    ? killedNodes.find(
        (n) => n.addr === ref || String(n.port) === ref || (ref.length >= 6 && n.id.startsWith(ref)),
      )
    : killedNodes[killedNodes.length - 1];
  if (!node) {
    const list = killedNodes.map((n) => n.addr).join(', ');
    throw new CodedError(
      ErrorCodes.ChaosFailed,
      list ? `no killed node "${ref}": killed are ${list}` : 'no node has been killed',
    );
  }
  await c.cluster.restartNode(node);
  c.onProcess?.(node);
  killedNodes.splice(killedNodes.indexOf(node), 1);
  c.pods.add(node.addr);
  return {
    did: [
      `Restarted ${node.addr} with its nodes.conf (same id ${short(node.id)}…, pid ${node.pid}); its keys come back from its AOF.`,
    ],
    next: [
      'It rejoins with its old id: if its slots were never taken over it serves them again and the cluster recovers; if a replica was promoted meanwhile it becomes that replica’s replica.',
    ],
  };
}

export function createChaos(deps: ChaosDeps): Chaos {
  const { nodeTimeoutMs } = deps;
  const c: ChaosContext = {
    cluster: deps.cluster,
    pods: deps.pods,
    nodeTimeoutMs,
    promoteIn: promotionSeconds(nodeTimeoutMs),
    timeoutText: `cluster-node-timeout ${nodeTimeoutMs} ms`,
    killedNodes: [],
    ...(deps.onProcess ? { onProcess: deps.onProcess } : {}),
  };
  let okCount = 0;
  const run = async (action: string, ref?: string): Promise<ChaosReport> => {
    const f = CHAOS_ACTIONS[action];
    if (!f)
      throw new CodedError(
        ErrorCodes.ChaosFailed,
        `unknown chaos action "${action}": ${Object.keys(CHAOS_ACTIONS).join(', ')}`,
      );
    const r = await f(c, ref);
    okCount += 1;
    return r;
  };
  return {
    run,
    revive: (ref) => revive(c, ref),
    killed: () => [...c.killedNodes],
    succeeded: () => okCount,
    handler: async (req) => {
      const r = await run(req.action, req.node);
      return chaosMessage(`chaos ${req.action}${req.node ? ` ${req.node}` : ''}`, r);
    },
  };
}

export function chaosMessage(title: string, r: ChaosReport): ChatMessage {
  return {
    text: `${title}: ${r.did.join(' ')}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:boom: *${title}*\n${r.did.join('\n')}` } },
      ...(r.next.length
        ? [
            {
              type: 'section' as const,
              text: { type: 'mrkdwn' as const, text: `*What Redis does next*\n${r.next.join('\n')}` },
            },
          ]
        : []),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'sandbox chaos · real redis-server processes' }],
      },
    ],
  };
}
