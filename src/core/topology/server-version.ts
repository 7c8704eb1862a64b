import type { ParseResult } from '../errors.ts';
import type { ServerIdentity } from '../types.ts';
import { infoValue } from './parse-info.ts';

/**
 * `INFO server` (or any INFO text that holds the server section) → which server answered.
 * Redis prints `redis_version`; Valkey prints `server_name:valkey` and `valkey_version` next to a
 * `redis_version` it keeps at 7.2.4 for old clients, so Valkey's own version wins.
 */
export function parseServerInfo(text: string): ParseResult<ServerIdentity> {
  const valkeyVersion = infoValue(text, 'valkey_version');
  const name = infoValue(text, 'server_name') ?? (valkeyVersion !== undefined ? 'valkey' : 'redis');
  if (name !== 'redis' && name !== 'valkey') {
    return { ok: false, error: `INFO server: server_name "${name}" is neither redis nor valkey` };
  }
  const version = name === 'valkey' ? valkeyVersion : infoValue(text, 'redis_version');
  if (version === undefined) {
    return { ok: false, error: `INFO server has no ${name}_version line` };
  }
  if (!/^\d+\.\d+(\.\d+)?/.test(version)) {
    return { ok: false, error: `INFO server: ${name}_version "${version}" is not a version` };
  }
  return { ok: true, value: { name, version } };
}

/** The leading `major.minor.patch` numbers of a version (missing parts are 0; `-rc1` and the like are ignored). */
function numbers(version: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0), Number(m?.[3] ?? 0)];
}

/** Negative, zero or positive as version `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const x = numbers(a);
  const y = numbers(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Is `server` the named server at `min` or newer? */
export function isAtLeast(server: ServerIdentity, name: ServerIdentity['name'], min: string): boolean {
  return server.name === name && compareVersions(server.version, min) >= 0;
}

/** "Redis 7.0.15", "Valkey 8.0.1". */
export function formatServer(server: ServerIdentity): string {
  return `${server.name === 'valkey' ? 'Valkey' : 'Redis'} ${server.version}`;
}
