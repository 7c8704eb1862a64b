import type { Finding } from '../../core/types.ts';

/** A duration as people say it: `42s`, `3m 5s`, `2h 10m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A finding's identity within an incident, so it is announced once. */
export function findingKey(f: Finding): string {
  return `finding:${f.code}:${[...f.nodes].sort().join(',')}:${[...(f.addrs ?? [])].sort().join(',')}`;
}
