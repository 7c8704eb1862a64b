/**
 * Cluster behaviour that differs between the servers users run (Redis 7.0 to 7.4, Valkey 7.2 to 8.x),
 * decided from what the nodes said in `INFO server`. Where a node's server is unknown, the answer is the one
 * that is safe on the oldest supported server (Redis 7.0).
 */
import type { ServerIdentity, Topology } from '../types.ts';
import { formatServer, isAtLeast } from './server-version.ts';

/** What a plan may rely on, given the servers of every node that answered. */
export interface ClusterTraits {
  /**
   * Every answering node passes `CLUSTER FORGET` on by gossip (Redis ≥ 7.2 and every Valkey: the
   * forgotten-node ping extension), so a member we could not reach still drops the id while the ban lasts.
   * On Redis 7.0 (or an unknown server) it does not: such a member brings the id back once the ban ends.
   */
  forgetGossiped: boolean;
  /**
   * Some master runs Valkey ≥ 8.0, which hands `CLUSTER SETSLOT` to its online replicas first and answers
   * `NOREPLICAS` (and changes nothing) when one does not acknowledge within the timeout (2 s by default).
   */
  setSlotWaitsForReplicas: boolean;
  /** Answering nodes whose server and version are unknown (INFO server refused or unreadable). */
  unknown: number;
}

/** Does this server gossip `CLUSTER FORGET`? */
export function gossipsForget(server: ServerIdentity): boolean {
  return server.name === 'valkey' || isAtLeast(server, 'redis', '7.2');
}

/** Does this server replicate `CLUSTER SETSLOT` and wait for its replicas before applying it? */
export function setSlotWaitsForReplicas(server: ServerIdentity): boolean {
  return isAtLeast(server, 'valkey', '8.0');
}

/** The servers of the nodes that answered a scan (undefined where `INFO server` could not be read). */
export function answeringServers(topology: Topology): (ServerIdentity | undefined)[] {
  return topology.probes.filter((p) => p.outcome === 'ok').map((p) => p.server);
}

/** Traits of a cluster whose answering nodes run these servers. */
export function clusterTraits(servers: readonly (ServerIdentity | undefined)[]): ClusterTraits {
  const known = servers.filter((s): s is ServerIdentity => s !== undefined);
  const unknown = servers.length - known.length;
  return {
    forgetGossiped: known.length > 0 && unknown === 0 && known.every(gossipsForget),
    setSlotWaitsForReplicas: known.some(setSlotWaitsForReplicas),
    unknown,
  };
}

/** "Redis 7.0.15", or for a mixed cluster "Valkey 8.0.1 ×3, Redis 7.2.6 ×3"; undefined when nobody said. */
export function describeServers(servers: readonly (ServerIdentity | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const s of servers) {
    if (s) counts.set(formatServer(s), (counts.get(formatServer(s)) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  if (counts.size === 1) return [...counts.keys()][0];
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
}

/** What becomes of the members a FORGET could not reach: gossip carries it to them, or they bring the id back. */
export function forgetUnreachedNote(traits: ClusterTraits, unreached: readonly string[]): string {
  if (unreached.length === 0) return '';
  const list = unreached.join(', ');
  if (traits.forgetGossiped)
    return `; not reached: ${list} (gossip carries it to them if they talk to the cluster while the ban lasts)`;
  return `; not reached: ${list}: they do not take FORGET by gossip (Redis 7.0 or unknown version) and bring the id back once the ban ends (60 s), so forget it there too as soon as they answer`;
}

/** How long Valkey ≥ 8.0 waits for a master's replicas to take `CLUSTER SETSLOT` before it answers NOREPLICAS. */
export const VALKEY_SETSLOT_REPLICA_WAIT_MS = 2000;

/**
 * Per-call timeout for `CLUSTER SETSLOT` on a node running `server`: past Valkey's own wait for the replicas
 * (also when the server is unknown), so its NOREPLICAS answer arrives instead of our timeout; else undefined
 * (the commander's default).
 */
export function setSlotTimeoutMs(server: ServerIdentity | undefined, defaultMs: number): number | undefined {
  if (server && !setSlotWaitsForReplicas(server)) return undefined;
  return VALKEY_SETSLOT_REPLICA_WAIT_MS + defaultMs;
}

/** Words for a NOREPLICAS answer to `CLUSTER SETSLOT`: which replica held the change back, and what to do. */
export function explainSetSlotNoReplicas(
  addr: string,
  server: ServerIdentity | undefined,
  command: string,
  replicas: readonly string[],
): string {
  const who = server ? `${addr} (${formatServer(server)})` : addr;
  const held = replicas.length > 0 ? replicas.join(', ') : 'one of its replicas';
  return `${who} refused ${command} with NOREPLICAS: Valkey 8+ changes a slot only after every online replica of that master has taken the change, and ${held} did not acknowledge within ${VALKEY_SETSLOT_REPLICA_WAIT_MS / 1000} s (frozen, overloaded or far behind?). Nothing changed on ${addr}. Bring that replica back, or fail it out of the cluster, then diagnose again.`;
}
