/**
 * Per-cluster link buttons (issue 19, part 4): the clusters file's `dashboard_url` / `runbook_url` templates,
 * with `{cluster}` and `{node}` filled in, as one actions block on status, plan and incident messages.
 */

import type { PlanRecord } from '../core/plan-record.ts';
import type { ClusterDefinition } from '../core/ports.ts';
import type { Finding, Plan, Topology } from '../core/types.ts';
import type { ActionsBlock, ButtonElement, ChatMessage } from './chat-port.ts';
import type { ClusterRegistry } from './clusters.ts';
import { fitMessage } from './messages/kit.ts';
import { withOperatorLine } from './messages/operator.ts';

/** Action ids of link buttons start with this: the Slack listener only acks their clicks. */
export const LINK_ACTION_PREFIX = 'link_';

function fill(template: string, cluster: string, node: string | undefined): string {
  return template
    .replace(/\{cluster\}/g, encodeURIComponent(cluster))
    .replace(/\{node\}/g, encodeURIComponent(node ?? ''));
}

/** Each link template of the clusters file: its field, its button label and its action id suffix. */
const LINKS = [
  ['dashboardUrl', ':bar_chart: Dashboard', 'dashboard'],
  ['runbookUrl', ':book: Runbook', 'runbook'],
] as const;

/** The buttons for a cluster, or none when it has no link templates. */
export function linkButtons(def: ClusterDefinition, node?: string): ButtonElement[] {
  return LINKS.flatMap(([field, text, id]): ButtonElement[] => {
    const template = def.links?.[field];
    if (!template) return [];
    return [
      {
        type: 'button',
        text: { type: 'plain_text', text, emoji: true },
        action_id: `${LINK_ACTION_PREFIX}${id}`,
        url: fill(template, def.name, node),
      },
    ];
  });
}

/** `msg` with the cluster's link buttons at the end (unchanged when there are none or no room). */
export function withClusterLinks(
  msg: ChatMessage,
  def: ClusterDefinition | undefined,
  node?: string,
): ChatMessage {
  if (!def) return msg;
  const buttons = linkButtons(def, node);
  if (buttons.length === 0 || msg.blocks.length >= 50) return msg;
  const block: ActionsBlock = { type: 'actions', block_id: 'cluster_links', elements: buttons };
  return fitMessage(msg.text, [...msg.blocks.filter((b) => b.block_id !== 'cluster_links'), block]);
}

/** The node a status is most about: the first problem finding's address. */
export function statusNode(findings: { addrs?: string[]; severity: string }[]): string | undefined {
  return findings.find((f) => f.severity !== 'info' && f.addrs?.length)?.addrs?.[0];
}

/** The node a plan acts on first. */
export function planNode(plan: Plan, topology?: Topology): string | undefined {
  for (const s of plan.steps) {
    if ('addr' in s && typeof s.addr === 'string') return s.addr;
    if (s.kind === 'forget') return topology?.nodes.find((n) => n.id === s.nodeId)?.addr ?? s.nodeId;
  }
  return undefined;
}

/** What the chat service wraps its status and plan messages in: the cluster's links, and the operator line. */
export function messageDecorators(clusters: Pick<ClusterRegistry, 'resolve'>) {
  const defOf = (cluster: string) => {
    const r = clusters.resolve(cluster);
    return r.ok ? r.entry.def : undefined;
  };
  return {
    statusLinked: (cluster: string, msg: ChatMessage, findings: Finding[]) =>
      withClusterLinks(msg, defOf(cluster), statusNode(findings)),
    planLinked: (rec: PlanRecord, msg: ChatMessage) =>
      withClusterLinks(withOperatorLine(msg, rec.plan), defOf(rec.plan.cluster), planNode(rec.plan)),
  };
}
