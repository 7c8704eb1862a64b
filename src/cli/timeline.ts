/** `redis-medic timeline <plan-id> [--markdown]` and `redis-medic audit --since 7d [--json]` (issue 19, part 4). */
import { parseArgs } from 'node:util';
import { createAuditLog } from '../adapters/store/audit.ts';
import { createPlanStore } from '../adapters/store/plan-store.ts';
import { buildTimeline, timelineMarkdown, utc } from '../core/timeline.ts';
import { openControl, parseSince } from './control.ts';
import type { CliIo } from './status.ts';

export const TIMELINE_USAGE = `usage: redis-medic timeline <plan-id> [--markdown] [--prefix medic]
       redis-medic audit --since 7d [--json] [--prefix medic]

  timeline   what happened to a plan: detected or alerted, diagnosed, approved by whom, each step, the end
  audit      the audit trail since a time ago (7d, 12h, 30m); --json prints one JSON array for export
  --prefix   the key prefix in the control Redis (default medic)
Both read CONTROL_REDIS_URL.`;

async function withControl(io: CliIo, prefix: string, fn: (c: ReturnType<typeof stores>) => Promise<number>) {
  const redis = openControl(io);
  if (typeof redis === 'string') {
    io.stderr(`redis-medic: ${redis}\n`);
    return 2;
  }
  try {
    return await fn(stores(redis, prefix));
  } catch (err) {
    io.stderr(`redis-medic: the control Redis did not answer: ${(err as Error).message}\n`);
    return 2;
  } finally {
    redis.disconnect();
  }
}

function stores(redis: Parameters<typeof createAuditLog>[0], prefix: string) {
  return { store: createPlanStore(redis, { prefix }), audit: createAuditLog(redis, { prefix }) };
}

export async function runTimeline(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseTimelineArgs>;
  try {
    parsed = parseTimelineArgs(argv);
  } catch (err) {
    io.stderr(`redis-medic timeline: ${(err as Error).message}\n${TIMELINE_USAGE}\n`);
    return 2;
  }
  const { id, markdown, prefix } = parsed;
  return withControl(io, prefix, async ({ store, audit }) => {
    const rec = await store.get(id);
    if (!rec) {
      io.stderr(`redis-medic timeline: no plan "${id}" in the control Redis (prefix ${prefix})\n`);
      return 1;
    }
    const entries = buildTimeline(rec, await audit.forPlan(id));
    if (markdown) io.stdout(`${timelineMarkdown(rec, entries)}\n`);
    else for (const e of entries) io.stdout(`${utc(e.at)}  ${e.what}${e.who ? ` ${e.who}` : ''}\n`);
    return 0;
  });
}

function parseTimelineArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { markdown: { type: 'boolean' }, prefix: { type: 'string', default: 'medic' } },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new Error('give exactly one plan id');
  return { id, markdown: values.markdown === true, prefix: values.prefix ?? 'medic' };
}

export async function runAuditExport(argv: string[], io: CliIo): Promise<number> {
  let values: { since?: string; json?: boolean; prefix?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string', default: '7d' },
        json: { type: 'boolean' },
        prefix: { type: 'string', default: 'medic' },
      },
    }));
  } catch (err) {
    io.stderr(`redis-medic audit: ${(err as Error).message}\n${TIMELINE_USAGE}\n`);
    return 2;
  }
  const span = parseSince(values.since ?? '7d');
  if (span === undefined) {
    io.stderr(`redis-medic audit: --since expects a span such as 7d, 12h, 30m (got "${values.since}")\n`);
    return 2;
  }
  return withControl(io, values.prefix ?? 'medic', async ({ audit }) => {
    const entries = await audit.since(Date.now() - span);
    if (values.json) io.stdout(`${JSON.stringify(entries, null, 1)}\n`);
    else
      for (const e of entries)
        io.stdout(
          `${utc(e.at)}  ${e.who}  ${e.what}${e.cluster ? ` [${e.cluster}]` : ''}${e.plan ? ` ${e.plan}` : ''}${e.outcome ? ` ${e.outcome}` : ''}${e.detail ? ` — ${e.detail}` : ''}\n`,
        );
    return 0;
  });
}
