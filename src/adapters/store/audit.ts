import type { Redis } from 'ioredis';
import type { AuditEntry, AuditLog } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import { systemClock } from '../../core/ports.ts';

export interface AuditOptions {
  /** Key prefix in the control Redis (default `medic`): the stream is `<prefix>:audit`. */
  prefix?: string;
  /** Entries older than this are trimmed (XADD MINID), whatever their number. Default 90 days. */
  maxAgeMs?: number;
  clock?: Clock;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  // Slack tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-
  [/\bxox[abposr]-[A-Za-z0-9-]+/g, '[redacted]'],
  [/\bxapp-[A-Za-z0-9-]+/g, '[redacted]'],
  // user:password@ in URLs
  [/(\/\/[^\s:/@]*:)[^\s@/]+@/g, '$1[redacted]@'],
  // password=…, token: …, "secret": "…"
  [
    /\b(pass(?:word)?|passwd|pwd|token|secret|api[-_]?key|authorization)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi,
    '$1$2[redacted]',
  ],
  // CONFIG SET requirepass x, masterauth x, redis-cli -a x / --pass x
  [/(\b(?:requirepass|masterauth)|\s-a|--pass)\s+\S+/gi, '$1 [redacted]'],
  // AUTH <user> <pass> / AUTH <pass> commands
  [/\bAUTH\s+\S+(\s+\S+)?/g, 'AUTH [redacted]'],
  // Bearer tokens
  [/\bBearer\s+\S+/gi, 'Bearer [redacted]'],
];

/** Removes anything that looks like a password or token. */
export function stripSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS) out = out.replace(re, rep);
  return out;
}

const FIELDS = ['who', 'what', 'cluster', 'plan', 'outcome', 'detail'] as const;
const MAX_DETAIL = 2000;

function entryFromStream(id: string, kv: string[]): AuditEntry {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < kv.length; i += 2) m.set(kv[i] as string, kv[i + 1] as string);
  const e: AuditEntry = {
    id,
    who: m.get('who') ?? '',
    what: m.get('what') ?? '',
    at: Number(m.get('at') ?? id.split('-')[0]),
  };
  for (const f of ['cluster', 'plan', 'outcome', 'detail'] as const) {
    const v = m.get(f);
    if (v !== undefined && v !== '') e[f] = v;
  }
  return e;
}

/** The audit stream: XADD with MINID trimming by age. */
export function createAuditLog(
  redis: Redis,
  opts: AuditOptions = {},
): AuditLog & {
  key: string;
  trim(): Promise<number>;
  since(fromMs: number, limit?: number): Promise<AuditEntry[]>;
} {
  const key = `${opts.prefix ?? 'medic'}:audit`;
  const maxAgeMs = opts.maxAgeMs ?? 90 * 24 * 3600_000;
  const clock = opts.clock ?? systemClock;

  const minId = () => String(Math.max(0, clock.now() - maxAgeMs));

  return {
    key,

    async record(entry) {
      const at = entry.at ?? clock.now();
      const args: string[] = ['at', String(at)];
      for (const f of FIELDS) {
        const v = entry[f];
        if (v === undefined || v === null) continue;
        let s = stripSecrets(String(v));
        if (f === 'detail' && s.length > MAX_DETAIL) s = `${s.slice(0, MAX_DETAIL)}…`;
        args.push(f, s);
      }
      // Ids follow our clock (so age trimming and `at` agree); if the stream is already ahead of it
      // (clock skew between processes), let Redis pick the id.
      let id: string | null;
      try {
        id = await redis.xadd(key, 'MINID', '~', minId(), `${Math.floor(at)}-*`, ...args);
      } catch {
        id = await redis.xadd(key, 'MINID', '~', minId(), '*', ...args);
      }
      if (entry.plan) {
        // Per-plan index: stream ids of this plan's entries, so forPlan does not scan the whole stream.
        const idx = `${key}:plan:${entry.plan}`;
        await redis
          .multi()
          .rpush(idx, id as string)
          .pexpire(idx, maxAgeMs)
          .exec();
      }
      return id as string;
    },

    async last(n) {
      const rows = (await redis.xrevrange(key, '+', '-', 'COUNT', Math.max(1, n))) as [string, string[]][];
      return rows.map(([id, kv]) => entryFromStream(id, kv)).reverse();
    },

    async forPlan(planId, limit = 200) {
      const ids = await redis.lrange(`${key}:plan:${planId}`, -limit, -1);
      if (ids.length === 0) return [];
      const pipe = redis.pipeline();
      for (const id of ids) pipe.xrange(key, id, id);
      const replies = (await pipe.exec()) ?? [];
      const out: AuditEntry[] = [];
      for (const [err, rows] of replies) {
        const row = !err && (rows as [string, string[]][])[0];
        if (row) out.push(entryFromStream(row[0], row[1]));
      }
      return out;
    },

    /** Entries at or after `fromMs`, oldest first (at most `limit`): the export of `redis-medic audit --since`. */
    async since(fromMs: number, limit = 100_000) {
      const rows = (await redis.xrange(
        key,
        String(Math.max(0, Math.floor(fromMs))),
        '+',
        'COUNT',
        limit,
      )) as [string, string[]][];
      return rows.map(([id, kv]) => entryFromStream(id, kv));
    },

    /** Trims by age now (XADD trims too, approximately). */
    async trim() {
      return (await redis.xtrim(key, 'MINID', minId())) as number;
    },
  };
}
