import { CodedError, ErrorCodes } from '../../core/errors.ts';
import type { NodeCommander } from '../../core/ports.ts';
import { parseClusterNodes } from '../../core/topology/parse-cluster-nodes.ts';
import {
  parseClusterInfo,
  parseInfo,
  parsePersistenceInfo,
  parseReplicationInfo,
} from '../../core/topology/parse-info.ts';
import { parseServerInfo } from '../../core/topology/server-version.ts';
import type { Addr, Probe, ProbeOutcome } from '../../core/types.ts';

type Settled = { ok: true; value: unknown } | { ok: false; error: CodedError };

async function settle(p: Promise<unknown>): Promise<Settled> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return {
      ok: false,
      error: err instanceof CodedError ? err : new CodedError(ErrorCodes.NodeError, String(err)),
    };
  }
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  return String(v ?? '');
}

/** The outcome of a transport failure: a timeout beats a refusal beats anything else. */
function outcomeOf(errors: CodedError[]): ProbeOutcome {
  if (errors.some((e) => e.code === ErrorCodes.NodeTimeout)) return 'timeout';
  if (errors.some((e) => e.code === ErrorCodes.NodeUnreachable && e.details?.refused)) return 'refused';
  return 'error';
}

/**
 * Ask one address everything a scan needs, all commands at once on one connection (so one round trip):
 * `INFO cluster`, `CLUSTER NODES`, `CLUSTER INFO`, `INFO replication`, `INFO persistence`, `CONFIG GET save`,
 * `DBSIZE`, `INFO server`. Never throws: a refused, frozen or erroring node becomes a probe with that outcome, and it never
 * takes longer than `timeoutMs` (plus scheduling).
 */
export async function probeNode(
  commander: NodeCommander,
  addr: Addr,
  source: Probe['source'],
  timeoutMs: number,
): Promise<Probe> {
  const t0 = performance.now();
  const opts = { timeoutMs };
  const [infoCluster, nodes, clusterInfo, replication, persistence, save, dbsize, sentinelHello, server] =
    await Promise.all([
      settle(commander.call(addr, ['INFO', 'cluster'], opts)),
      settle(commander.call(addr, ['CLUSTER', 'NODES'], opts)),
      settle(commander.call(addr, ['CLUSTER', 'INFO'], opts)),
      settle(commander.call(addr, ['INFO', 'replication'], opts)),
      settle(commander.call(addr, ['INFO', 'persistence'], opts)),
      settle(commander.call(addr, ['CONFIG', 'GET', 'save'], opts)),
      settle(commander.call(addr, ['DBSIZE'], opts)),
      // Sentinel subscribes to this channel on every node it watches (issue 10: never fight Sentinel).
      settle(commander.call(addr, ['PUBSUB', 'NUMSUB', '__sentinel__:hello'], opts)),
      // Which server and version answered: some cluster behaviour differs between Redis 7.0, 7.2+ and Valkey.
      settle(commander.call(addr, ['INFO', 'server'], opts)),
    ]);
  const probe: Probe = { addr, source, outcome: 'ok', ms: 0 };
  const done = (): Probe => {
    probe.ms = Math.round((performance.now() - t0) * 10) / 10;
    return probe;
  };

  if (!infoCluster.ok) {
    const errors = [infoCluster, nodes, clusterInfo, replication, persistence, dbsize].flatMap((s) =>
      s.ok ? [] : [s.error],
    );
    probe.outcome = outcomeOf(errors);
    probe.error = infoCluster.error.message;
    if (infoCluster.error.details?.authFailed) probe.authFailed = true;
    return done();
  }

  const problems: string[] = [];
  // An unknown server or version is not a problem: version-dependent choices then take the safe side.
  const identity = server.ok ? parseServerInfo(text(server.value)) : undefined;
  if (identity?.ok) probe.server = identity.value;
  const enabled = parseInfo(text(infoCluster.value)).cluster_enabled;
  probe.clusterEnabled = enabled !== '0';

  if (probe.clusterEnabled) {
    if (nodes.ok) {
      const parsed = parseClusterNodes(text(nodes.value));
      if (parsed.ok) {
        probe.nodes = parsed.value;
        probe.myId = parsed.value.find((n) => n.flags.includes('myself'))?.id;
      } else problems.push(parsed.error);
    } else problems.push(`CLUSTER NODES: ${nodes.error.message}`);
    if (clusterInfo.ok) {
      const parsed = parseClusterInfo(text(clusterInfo.value));
      if (parsed.ok) probe.info = parsed.value;
      else problems.push(parsed.error);
    } else problems.push(`CLUSTER INFO: ${clusterInfo.error.message}`);
  }

  if (replication.ok) {
    const parsed = parseReplicationInfo(text(replication.value));
    if (parsed.ok) probe.replication = parsed.value;
    else problems.push(parsed.error);
  } else problems.push(`INFO replication: ${replication.error.message}`);

  // CONFIG may be forbidden by ACL or renamed: then the save policy is simply unknown.
  let saveConfig: string | undefined;
  if (save.ok && Array.isArray(save.value) && save.value.length >= 2) saveConfig = text(save.value[1]);
  if (persistence.ok) {
    const parsed = parsePersistenceInfo(text(persistence.value), saveConfig);
    if (parsed.ok) probe.persistence = parsed.value;
    else problems.push(parsed.error);
  } else problems.push(`INFO persistence: ${persistence.error.message}`);

  if (dbsize.ok && typeof dbsize.value === 'number') probe.keys = dbsize.value;
  else if (dbsize.ok) probe.keys = Number(dbsize.value);

  if (sentinelHello.ok && Array.isArray(sentinelHello.value) && sentinelHello.value.length >= 2) {
    const n = Number(sentinelHello.value[1]);
    if (n > 0) probe.sentinelSubscribers = n;
  }

  if (problems.length > 0) {
    probe.error = problems.join('; ');
    // Without its cluster view the node cannot be merged: that is an error, not a partial success.
    const clusterViewMissing = probe.clusterEnabled && (!probe.nodes || !probe.info);
    if (clusterViewMissing) {
      const transport = [nodes, clusterInfo].flatMap((s) => (s.ok ? [] : [s.error]));
      probe.outcome = transport.length > 0 ? outcomeOf(transport) : 'error';
    }
  }
  return done();
}
