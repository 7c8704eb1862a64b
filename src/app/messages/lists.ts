import { type IntentKind, NODE_HELP, USAGE } from '../../core/intents/parse-intent.ts';
import type { AuditEntry, PlanRecord } from '../../core/plan-record.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import {
  clip,
  clock,
  context,
  divider,
  esc,
  fields,
  fitMessage,
  header,
  mention,
  packLines,
  riskWords,
  section,
} from './kit.ts';

const STATUS_EMOJI: Record<string, string> = {
  proposed: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  queued: ':inbox_tray:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  stale: ':warning:',
  rejected: ':no_entry:',
  expired: ':alarm_clock:',
  cancelled: ':no_entry_sign:',
};

/** `plans`: waiting, running and recent plans, most recent first. */
export function renderPlans(records: PlanRecord[], opts: { now: number; cluster?: string }): ChatMessage {
  const where = opts.cluster ? ` on ${opts.cluster}` : '';
  const blocks: Block[] = [header(`Plans${where}`)];
  if (records.length === 0) {
    blocks.push(section(`No plans${esc(where)} yet. \`/redis diagnose\` proposes one.`));
    return fitMessage(`No plans${where}`, blocks);
  }
  const lines = records.map((r) => {
    const p = r.plan;
    let state: string = r.status;
    if (r.status === 'proposed')
      state =
        opts.now >= p.expiresAt
          ? 'expired'
          : `waiting for approval (${r.approvals.length}/${r.approvalsNeeded}), expires ${clock(p.expiresAt)}`;
    if (r.status === 'running')
      state = `running step ${Math.min(r.progress.nextStep + 1, p.steps.length)}/${p.steps.length}`;
    if (r.status === 'queued' && r.waitingBehind) state = `queued behind \`${esc(r.waitingBehind)}\``;
    return `${STATUS_EMOJI[r.status] ?? ''} \`${esc(p.id)}\` *${esc(p.cluster)}* — ${esc(clip(p.title, 200))} — ${state} · ${riskWords(p.risk)} · by ${mention(p.requestedBy)} ${clock(p.createdAt)}`;
  });
  blocks.push(...packLines(lines, 10, (n) => `_…${n} more plans left out._`).blocks);
  blocks.push(context('`/redis cancel <plan-id>` cancels a plan that has not started running.'));
  return fitMessage(`${records.length} plan(s)${where}`, blocks);
}

/** `audit`: who did what, oldest first. */
export function renderAudit(
  entries: AuditEntry[],
  opts: { n: number; plan?: string; cluster?: string },
): ChatMessage {
  const scope = opts.plan ? ` of plan ${opts.plan}` : opts.cluster ? ` on ${opts.cluster}` : '';
  const blocks: Block[] = [header(`Audit${scope}: last ${entries.length}`)];
  if (entries.length === 0) {
    blocks.push(section(`No audit entries${esc(scope)}.`));
    return fitMessage(`No audit entries${scope}`, blocks);
  }
  const lines = entries.map((e) => {
    const parts = [`\`${clock(e.at)}\``, mention(e.who), `*${esc(e.what)}*`];
    if (e.plan) parts.push(`\`${esc(e.plan)}\``);
    if (e.cluster && !opts.cluster) parts.push(`on ${esc(e.cluster)}`);
    if (e.outcome) parts.push(`→ ${esc(e.outcome)}`);
    const detail = e.detail ? ` — ${esc(clip(e.detail.replace(/\s+/g, ' '), 240))}` : '';
    return `${parts.join(' ')}${detail}`;
  });
  blocks.push(...packLines(lines, 12, (n) => `_…${n} more entries left out._`).blocks);
  const day = new Date(entries[0]?.at ?? 0).toISOString().slice(0, 10);
  blocks.push(context(`Times in UTC, from ${day}. Kept in the control Redis stream, capped by age.`));
  return fitMessage(`Audit${scope}: ${entries.length} entries`, blocks);
}

export interface ClusterSummary {
  name: string;
  seeds: string[];
  health: { emoji: string; word: string };
  detail: string;
  k8s?: { namespace: string; selector: string };
}

/** `clusters`: every cluster the bot looks after, with its health. */
export function renderClusters(list: ClusterSummary[]): ChatMessage {
  const blocks: Block[] = [header(`Clusters (${list.length})`)];
  const lines = list.map((c) => {
    const seeds =
      c.seeds.slice(0, 3).map(esc).join(', ') + (c.seeds.length > 3 ? ` +${c.seeds.length - 3}` : '');
    const k8s = c.k8s ? ` · pods \`${esc(c.k8s.selector)}\` in \`${esc(c.k8s.namespace)}\`` : '';
    return `${c.health.emoji} *${esc(c.name)}* — ${esc(c.health.word)}${c.detail ? `: ${esc(c.detail)}` : ''}\n      seeds ${seeds || '—'}${k8s}`;
  });
  blocks.push(...packLines(lines, 20, (n) => `_…${n} more clusters left out._`).blocks);
  blocks.push(
    context('Name one with `--cluster <name>` on any sub-command, e.g. `/redis status --cluster <name>`.'),
  );
  return fitMessage(list.map((c) => `${c.name}: ${c.health.word}`).join(', ') || 'no clusters', blocks);
}

/** `help`, or `help <sub-command>`. */
export function renderHelp(
  opts: { topic?: string; clusters?: string[]; sandbox?: boolean } = {},
): ChatMessage {
  const kinds = (Object.keys(USAGE) as IntentKind[]).filter((k) => k !== 'chaos' || opts.sandbox);
  if (opts.topic && (kinds as string[]).includes(opts.topic)) {
    const u = USAGE[opts.topic as IntentKind];
    const blocks: Block[] = [section(`\`${u.usage}\`\n${esc(u.about)}`)];
    if (['failover', 'forget', 'join'].includes(opts.topic)) blocks.push(context(esc(NODE_HELP)));
    return fitMessage(u.usage, blocks);
  }
  const lines = kinds.map((k) => `\`${USAGE[k].usage}\`\n      ${esc(USAGE[k].about)}`);
  const blocks: Block[] = [header('redis-medic: /redis commands')];
  blocks.push(...packLines(lines, 4, (n) => `_…${n} more left out._`).blocks);
  blocks.push(divider());
  const cl = opts.clusters?.length
    ? `Clusters: ${opts.clusters.map((c) => `\`${esc(c)}\``).join(', ')}. `
    : '';
  blocks.push(
    context(
      `${esc(NODE_HELP)} ${cl}Every sub-command takes \`--cluster <name>\` (or \`-c <name>\`); status, diagnose and plans also take the name alone: \`/redis status prod\`. Plans run only after an approver clicks Approve.`,
    ),
  );
  return fitMessage('redis-medic commands: /redis help', blocks);
}

/** Bad input: what was wrong, the usage, and "did you mean". Always ephemeral. */
export function renderUsageError(e: { error: string; usage: string; suggestion?: string }): ChatMessage {
  const usage = e.usage
    .split('\n')
    .map((l) => (l.startsWith('/redis') ? `\`${l}\`` : esc(l)))
    .join('\n');
  const blocks: Block[] = [section(`:thinking_face: ${esc(e.error)}`)];
  if (e.suggestion) blocks.push(section(`Did you mean \`${esc(e.suggestion)}\`?`));
  blocks.push(section(clip(`*Usage*\n${usage}`, 2900)));
  return fitMessage(`${e.error}${e.suggestion ? ` — did you mean ${e.suggestion}?` : ''}`, blocks);
}

/** A short answer: a refusal, an error, an acknowledgement. */
export function renderNotice(text: string, emoji = ':information_source:', more?: string): ChatMessage {
  const blocks: Block[] = [section(`${emoji} ${esc(text)}`)];
  if (more) blocks.push(context(esc(more)));
  return fitMessage(text, blocks);
}

/** Like renderNotice, for text that is already mrkdwn (mentions, code). */
export function renderMrkdwn(text: string, fallback: string): ChatMessage {
  return fitMessage(fallback, [section(text)]);
}

/** `cancel`: the outcome. */
export function renderCancelled(r: PlanRecord, user: string): ChatMessage {
  return fitMessage(`${r.plan.cluster}: plan ${r.plan.id} cancelled`, [
    section(
      `:no_entry_sign: Plan \`${esc(r.plan.id)}\` on *${esc(r.plan.cluster)}* cancelled by ${mention(user)}.`,
    ),
    fields([
      ['Plan', esc(clip(r.plan.title, 500))],
      ['Was', 'not running yet: nothing was touched'],
    ]),
  ]);
}
