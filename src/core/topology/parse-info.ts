import type { ParseResult } from '../errors.ts';
import type { ClusterInfo, PersistenceInfo, ReplicaLine, ReplicationInfo } from '../types.ts';

/**
 * `INFO` / `CLUSTER INFO` text → `{ field: value }`. Tolerates `\r\n`, `# Section` headers and blank lines;
 * a line without `:` is skipped (INFO never prints one, and it carries nothing we could use).
 */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  // By index, not split + trim: a watcher reads ~100 lines per node, thousands of nodes per interval.
  const n = text.length;
  let pos = 0;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    let a = pos;
    let b = end;
    pos = end + 1;
    while (a < b && text.charCodeAt(a) <= 32) a++;
    while (b > a && text.charCodeAt(b - 1) <= 32) b--;
    if (a === b || text.charCodeAt(a) === 35 /* # */) continue;
    const colon = text.indexOf(':', a);
    if (colon <= a || colon >= b) continue;
    out[text.slice(a, colon)] = text.slice(colon + 1, b);
  }
  return out;
}

/**
 * The value of one `field:` line of an INFO text (trimmed), or undefined; what `parseInfo(text)[field]` gives,
 * by one search instead of a record of every line, for readers that need a few fields of a long section.
 */
export function infoValue(text: string, field: string): string | undefined {
  const key = `${field}:`;
  for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + 1)) {
    // At the start of a line (spaces before it allowed, as parseInfo trims them).
    let b = at;
    while (b > 0 && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--;
    if (b !== 0 && text.charCodeAt(b - 1) !== 10) continue;
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    return text.slice(at + key.length, end).trim();
  }
  return undefined;
}

/** An INFO value as a number; `fallback` when it is absent or not a number. */
function numberOr(v: string | undefined, fallback = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

function num(raw: Record<string, string>, key: string, fallback = 0): number {
  return numberOr(raw[key], fallback);
}

function firstLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const line = lines.find((l) => l !== '' && !l.startsWith('#')) ?? lines.find((l) => l !== '') ?? '';
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

/** `CLUSTER INFO`. Needs at least `cluster_state`. */
export function parseClusterInfo(text: string): ParseResult<ClusterInfo> {
  const raw = parseInfo(text);
  const state = raw.cluster_state;
  if (state !== 'ok' && state !== 'fail') {
    return {
      ok: false,
      error:
        state === undefined
          ? `CLUSTER INFO has no cluster_state line: "${firstLine(text)}"`
          : `CLUSTER INFO: cluster_state "${state}" is neither ok nor fail`,
    };
  }
  return {
    ok: true,
    value: {
      state,
      slotsAssigned: num(raw, 'cluster_slots_assigned'),
      slotsOk: num(raw, 'cluster_slots_ok'),
      slotsPfail: num(raw, 'cluster_slots_pfail'),
      slotsFail: num(raw, 'cluster_slots_fail'),
      knownNodes: num(raw, 'cluster_known_nodes'),
      size: num(raw, 'cluster_size'),
      currentEpoch: num(raw, 'cluster_current_epoch'),
      myEpoch: num(raw, 'cluster_my_epoch'),
      raw,
    },
  };
}

/** `slave0:ip=10.0.0.1,port=6379,state=online,offset=1234,lag=0` → a replica line. */
function parseReplicaLine(value: string): ReplicaLine | undefined {
  const fields: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const port = Number(fields.port);
  if (fields.ip === undefined || !Number.isInteger(port)) return undefined;
  return {
    ip: fields.ip,
    port,
    state: fields.state ?? 'unknown',
    offset: Number(fields.offset ?? 0) || 0,
    lag: Number(fields.lag ?? 0) || 0,
  };
}

/** `INFO replication` (role master with `slaveN:` lines, or role slave with the master link fields). */
export function parseReplicationInfo(text: string): ParseResult<ReplicationInfo> {
  const raw = parseInfo(text);
  // Valkey and newer docs may say replica/primary; the wire format of Redis says slave/master.
  const role =
    raw.role === 'slave' || raw.role === 'replica' ? 'slave' : raw.role === 'master' ? 'master' : null;
  if (role === null) {
    return {
      ok: false,
      error:
        raw.role === undefined
          ? `INFO replication has no role line: "${firstLine(text)}"`
          : `INFO replication: role "${raw.role}" is neither master nor slave`,
    };
  }
  const replicas: ReplicaLine[] = [];
  for (const key in raw) {
    if (!key.startsWith('slave') || !/^slave\d+$/.test(key)) continue;
    const value = raw[key]!;
    const line = parseReplicaLine(value);
    if (!line) return { ok: false, error: `INFO replication: cannot read "${key}:${value}"` };
    replicas.push(line);
  }
  const info: ReplicationInfo = {
    role,
    connectedSlaves: num(raw, 'connected_slaves', replicas.length),
    masterReplOffset: num(raw, 'master_repl_offset'),
    replicas,
    raw,
  };
  if (role === 'slave') {
    if (raw.master_host !== undefined) info.masterHost = raw.master_host;
    if (raw.master_port !== undefined) info.masterPort = num(raw, 'master_port');
    if (raw.master_link_status === 'up' || raw.master_link_status === 'down') {
      info.masterLinkStatus = raw.master_link_status;
    }
    if (raw.master_last_io_seconds_ago !== undefined) {
      info.masterLastIoSecondsAgo = num(raw, 'master_last_io_seconds_ago', -1);
    }
    if (raw.master_sync_in_progress !== undefined)
      info.masterSyncInProgress = raw.master_sync_in_progress === '1';
    if (raw.slave_repl_offset !== undefined) info.slaveReplOffset = num(raw, 'slave_repl_offset');
    if (raw.master_link_down_since_seconds !== undefined) {
      info.masterLinkDownSinceSeconds = num(raw, 'master_link_down_since_seconds', -1);
    }
  }
  return { ok: true, value: info };
}

/**
 * `INFO persistence`, plus the value of `CONFIG GET save` when the caller could read it
 * ('' means RDB snapshots are off; undefined means unknown).
 */
export function parsePersistenceInfo(text: string, saveConfig?: string): ParseResult<PersistenceInfo> {
  const aof = infoValue(text, 'aof_enabled');
  if (aof === undefined) {
    return { ok: false, error: `INFO persistence has no aof_enabled line: "${firstLine(text)}"` };
  }
  const info: PersistenceInfo = {
    aofEnabled: aof === '1',
    loading: infoValue(text, 'loading') === '1',
    rdbChangesSinceLastSave: numberOr(infoValue(text, 'rdb_changes_since_last_save')),
    rdbLastBgsaveStatus: infoValue(text, 'rdb_last_bgsave_status') ?? 'unknown',
    aofLastWriteStatus: infoValue(text, 'aof_last_write_status') ?? 'unknown',
  };
  if (saveConfig !== undefined) info.saveConfig = saveConfig.trim();
  return { ok: true, value: info };
}
