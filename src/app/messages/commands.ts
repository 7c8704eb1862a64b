/**
 * Commands of a plan step as a phone shows them (issue 19, part 2): a command sent to many nodes is one line
 * ("`CLUSTER FORGET 3d0c99…` → 56 nodes"); the exact list goes in the plan's thread, one tap away, so "these
 * are exactly the commands that will be sent" stays true.
 */

import type { Plan, Step } from '../../core/types.ts';
import type { ChatMessage } from '../chat-port.ts';
import { clip, esc, fitMessage, packLines } from './kit.ts';

/** From this many nodes on, one command sent to each shows as one line. */
const COLLAPSE_FROM = 4;

/** `10.0.0.1:6379 CLUSTER FORGET <id>` → { addr, command }; null when the line does not start with an address. */
function split(line: string): { addr: string; command: string } | null {
  const m = /^(\S+:\d+)\s+(.+)$/.exec(line);
  return m ? { addr: m[1]!, command: m[2]! } : null;
}

/** Groups of one command sent to several nodes, in order of first appearance; other lines stay as they are. */
export function commandGroups(step: Step): { command: string; addrs: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const line of step.commands) {
    const s = split(line);
    const key = s ? s.command : line;
    const list = groups.get(key) ?? [];
    if (s) list.push(s.addr);
    groups.set(key, list);
  }
  return [...groups].map(([command, addrs]) => ({ command, addrs }));
}

/** Does any step send one command to many nodes (then the thread gets the exact list)? */
export function hasCollapsedCommands(plan: Plan): boolean {
  return plan.steps.some((s) => commandGroups(s).some((g) => g.addrs.length >= COLLAPSE_FROM));
}

/** `CLUSTER FORGET 3d0c99…` with the long ids shortened, for the one-line form. */
function shorten(command: string): string {
  return command.replace(/\b[0-9a-f]{40}\b/g, (id) => `${id.slice(0, 6)}…`);
}

/** The step's commands for the plan message: many-node commands as one line each, the rest as they are. */
export function commandLines(step: Step): string[] {
  const out: string[] = [];
  for (const g of commandGroups(step)) {
    if (g.addrs.length >= COLLAPSE_FROM) out.push(`${shorten(g.command)} → ${g.addrs.length} nodes`);
    else if (g.addrs.length === 0) out.push(g.command);
    else for (const a of g.addrs) out.push(`${a} ${g.command}`);
  }
  return out;
}

/** The thread message with every exact command of the plan, step by step. */
export function renderCommandList(plan: Plan): ChatMessage {
  const lines: string[] = [];
  plan.steps.forEach((s, i) => {
    lines.push(
      `*Step ${i + 1}* \`${s.kind}\` — ${s.commands.length} command${s.commands.length === 1 ? '' : 's'}:`,
    );
    for (const c of s.commands) lines.push(`\`${esc(clip(c, 280))}\``);
  });
  const text = `Redis ${plan.cluster}: the exact commands of plan ${plan.id}`;
  return fitMessage(text, [
    ...packLines(
      [`*${esc(text)}*`, ...lines],
      45,
      (k) => `_…${k} more lines left out (\`/redis audit ${esc(plan.id)}\`)._`,
    ).blocks,
  ]);
}
