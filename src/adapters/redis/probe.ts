import { CodedError, ErrorCodes, type ParseResult } from '../../core/errors.ts';
import type { NodeCommander } from '../../core/ports.ts';
import { keysInDb0, splitInfoSections } from '../../core/topology/info-sections.ts';
import { parseClusterNodes } from '../../core/topology/parse-cluster-nodes.ts';
import {
  infoValue,
  parseClusterInfo,
  parsePersistenceInfo,
  parseReplicationInfo,
} from '../../core/topology/parse-info.ts';
import { parseServerInfo } from '../../core/topology/server-version.ts';
import type { Addr, NodeView, Probe, ProbeOutcome } from '../../core/types.ts';
import type { BatchingCommander } from './node-commander.ts';

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

/** INFO sections a probe reads, in one call (`server` for the server's name and version). */
export const PROBE_INFO_SECTIONS = ['server', 'cluster', 'replication', 'persistence', 'keyspace'] as const;

/** What a probe asks, in this order, in one write. */
const PROBE_COMMANDS: string[][] = [
  ['INFO', ...PROBE_INFO_SECTIONS],
  ['CLUSTER', 'NODES'],
  ['CLUSTER', 'INFO'],
  ['CONFIG', 'GET', 'save'],
  // Sentinel subscribes to this channel on every node it watches (issue 10: never fight Sentinel).
  ['PUBSUB', 'NUMSUB', '__sentinel__:hello'],
];

/** The probe's commands under one deadline: in a batch when the commander has one, else one call each. */
function askAll(commander: NodeCommander, addr: Addr, opts: { timeoutMs: number }): Promise<Settled[]> {
  const batching = commander as Partial<BatchingCommander>;
  if (typeof batching.batch === 'function') return batching.batch(addr, PROBE_COMMANDS, opts);
  return Promise.all(PROBE_COMMANDS.map((args) => settle(commander.call(addr, args, opts))));
}

/**
 * The sections of the multi-section INFO reply. Redis before 7.0 takes one section per call and refuses the
 * list: then a plain `INFO` (its default sections hold all of these).
 */
async function readInfo(
  commander: NodeCommander,
  addr: Addr,
  first: Settled,
  opts: { timeoutMs: number },
): Promise<{ ok: true; sections: Record<string, string> } | { ok: false; error: CodedError }> {
  let reply = first;
  if (!reply.ok && reply.error.code === ErrorCodes.NodeError && !reply.error.details?.auth)
    reply = await settle(commander.call(addr, ['INFO'], opts));
  return reply.ok ? { ok: true, sections: splitInfoSections(text(reply.value)) } : reply;
}

/** How a probe reads a `CLUSTER NODES` text; the scanner passes a cached one (parse-cache.ts). */
export interface ProbeOptions {
  parseNodes?: (addr: Addr, text: string) => ParseResult<NodeView[]>;
}

/**
 * Ask one address everything a scan needs, all commands at once on one connection (one write, one round
 * trip, one deadline): `INFO server cluster replication persistence keyspace`, `CLUSTER NODES`, `CLUSTER INFO`,
 * `CONFIG GET save`, `PUBSUB NUMSUB`. Never throws: a refused, frozen or erroring node becomes a probe with
 * that outcome, and it never takes longer than `timeoutMs` (plus scheduling; twice on Redis < 7).
 */
export async function probeNode(
  commander: NodeCommander,
  addr: Addr,
  source: Probe['source'],
  timeoutMs: number,
  probeOpts: ProbeOptions = {},
): Promise<Probe> {
  const t0 = performance.now();
  const opts = { timeoutMs };
  const [first, nodes, clusterInfo, save, sentinelHello] = (await askAll(commander, addr, opts)) as [
    Settled,
    Settled,
    Settled,
    Settled,
    Settled,
  ];
  const info = await readInfo(commander, addr, first, opts);
  const probe: Probe = { addr, source, outcome: 'ok', ms: 0 };
  const done = (): Probe => {
    probe.ms = Math.round((performance.now() - t0) * 10) / 10;
    return probe;
  };

  if (!info.ok) {
    const errors = [info, nodes, clusterInfo].flatMap((s) => (s.ok ? [] : [s.error]));
    probe.outcome = outcomeOf(errors);
    probe.error = info.error.message;
    if (info.error.details?.authFailed) probe.authFailed = true;
    return done();
  }
  const sections = info.sections;

  const problems: string[] = [];
  // An unknown server or version is not a problem: version-dependent choices then take the safe side.
  const identity = sections.server !== undefined ? parseServerInfo(sections.server) : undefined;
  if (identity?.ok) probe.server = identity.value;
  const enabled = infoValue(sections.cluster ?? '', 'cluster_enabled');
  probe.clusterEnabled = enabled !== '0';

  if (probe.clusterEnabled) {
    if (nodes.ok) {
      const nodesText = text(nodes.value);
      const parsed = probeOpts.parseNodes
        ? probeOpts.parseNodes(addr, nodesText)
        : parseClusterNodes(nodesText);
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

  const replication = parseReplicationInfo(sections.replication ?? '');
  if (replication.ok) probe.replication = replication.value;
  else problems.push(replication.error);

  // CONFIG may be forbidden by ACL or renamed: then the save policy is simply unknown.
  let saveConfig: string | undefined;
  if (save.ok && Array.isArray(save.value) && save.value.length >= 2) saveConfig = text(save.value[1]);
  const persistence = parsePersistenceInfo(sections.persistence ?? '', saveConfig);
  if (persistence.ok) probe.persistence = persistence.value;
  else problems.push(persistence.error);

  // The keys of db 0 (what DBSIZE on a fresh connection counts); a server without the section: unknown.
  if (sections.keyspace !== undefined) probe.keys = keysInDb0(sections.keyspace);

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
