/**
 * The App Home tab (issue 19, part 3): the clusters with their health as of now, the open plans with their
 * status and a link to their message, and the last 10 audit entries.
 */

import type { AuditLog, PlanStore } from '../core/plan-record.ts';
import type { Clock } from '../core/ports.ts';
import type { Finding, Topology } from '../core/types.ts';
import type { Block } from './chat-port.ts';
import type { ClusterEntry, ClusterRegistry } from './clusters.ts';
import { clip, clock, context, divider, esc, header, mention, packLines, section } from './messages/kit.ts';
import { roleCountText } from './messages/sentinel-status.ts';
import { healthOf } from './messages/status.ts';
import { messageLink } from './open-twin.ts';

export interface HomeDeps {
  clusters: ClusterRegistry;
  store: Pick<PlanStore, 'list'>;
  audit: Pick<AuditLog, 'last'>;
  clock: Clock;
  /** The chat service's bounded, shared scan. */
  scan(
    entry: ClusterEntry,
  ): Promise<{ ok: true; topology: Topology; findings: Finding[] } | { ok: false; error: string }>;
}

async function clusterLines(deps: HomeDeps): Promise<string[]> {
  return Promise.all(
    deps.clusters.list().map(async (e) => {
      const s = await deps.scan(e);
      if (!s.ok) return `:black_circle: *${esc(e.name)}*: unreachable — ${esc(clip(s.error, 200))}`;
      const h = healthOf(s.topology, s.findings);
      return `${h.emoji} *${esc(e.name)}*: ${h.word} — ${roleCountText(s.topology)}`;
    }),
  );
}

async function planLines(deps: HomeDeps): Promise<string[]> {
  const open = await deps.store.list({ status: ['proposed', 'approved', 'queued', 'running'], limit: 20 });
  return open.map((r) => {
    const ref = r.chatRef;
    const id = ref
      ? `<${messageLink(ref.channel, ref.ts, ref.threadTs)}|${esc(r.plan.id)}>`
      : `\`${esc(r.plan.id)}\``;
    return `• ${id} on *${esc(r.plan.cluster)}* — *${r.status}* — ${esc(clip(r.plan.title, 150))}`;
  });
}

async function auditLines(deps: HomeDeps): Promise<string[]> {
  const entries = await deps.audit.last(10);
  return entries
    .reverse()
    .map(
      (e) =>
        `${clock(e.at)} ${mention(e.who)} ${esc(e.what)}${e.cluster ? ` *${esc(e.cluster)}*` : ''}${e.plan ? ` \`${esc(e.plan)}\`` : ''}${e.outcome ? ` (${esc(e.outcome)})` : ''}`,
    );
}

/** The Home tab's blocks for `user`; a part that cannot be read says so instead of failing the whole tab. */
export async function buildHomeView(deps: HomeDeps, _user: string): Promise<Block[]> {
  const part = async (what: string, read: () => Promise<string[]>, empty: string) => {
    try {
      const lines = await read();
      return packLines(lines.length ? lines : [empty], 8, (k) => `_…${k} more left out._`).blocks;
    } catch (err) {
      return [section(`:electric_plug: Could not read ${what}: ${esc((err as Error).message)}`)];
    }
  };
  const [clusters, plans, audit] = await Promise.all([
    part('the clusters', () => clusterLines(deps), '_No cluster configured._'),
    part('the plans (control Redis)', () => planLines(deps), '_No open plan._'),
    part('the audit (control Redis)', () => auditLines(deps), '_Nothing audited yet._'),
  ]);
  return [
    header('redis-medic'),
    section('*Clusters*'),
    ...clusters,
    divider(),
    section('*Open plans*'),
    ...plans,
    divider(),
    section('*Last 10 audit entries*'),
    ...audit,
    context(`As of ${clock(deps.clock.now())} · \`/redis help\` for every command`),
  ];
}
