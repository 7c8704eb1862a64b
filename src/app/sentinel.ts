/**
 * Reading Sentinel (`SENTINEL MASTERS`, `SENTINEL REPLICAS`) and asking it to fail over
 * (`SENTINEL FAILOVER`), through the same fail-fast `NodeCommander` as the data nodes.
 */
import { CodedError, ErrorCodes } from '../core/errors.ts';
import type { NodeCommander } from '../core/ports.ts';
import { joinAddr } from '../core/standalone/view.ts';
import type { Addr, ProbeOutcome, SentinelAnswer, SentinelView } from '../core/types.ts';

/** `[k1, v1, k2, v2, …]` → record. */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

function outcomeOf(err: unknown): ProbeOutcome {
  if (err instanceof CodedError) {
    if (err.code === ErrorCodes.NodeTimeout) return 'timeout';
    if (err.code === ErrorCodes.NodeUnreachable && err.details?.refused) return 'refused';
  }
  return 'error';
}

/** What one Sentinel says about `masterName` (or about the only master it monitors, when not given). */
export async function readSentinel(
  commander: NodeCommander,
  addr: Addr,
  masterName: string | undefined,
  timeoutMs = 1000,
): Promise<SentinelAnswer & { masterName?: string }> {
  try {
    const masters = (await commander.call(addr, ['SENTINEL', 'MASTERS'], { timeoutMs })) as unknown[];
    const entries = (Array.isArray(masters) ? masters : []).map(pairs);
    const entry = masterName
      ? entries.find((e) => e.name === masterName)
      : entries.length === 1
        ? entries[0]
        : undefined;
    if (!entry) {
      const names = entries.map((e) => e.name).join(', ') || 'none';
      return {
        addr,
        outcome: 'error',
        error: masterName
          ? `monitors no master named "${masterName}" (it monitors: ${names})`
          : `monitors ${entries.length} masters (${names}): set sentinelMaster`,
      };
    }
    const name = entry.name!;
    const replies = (await commander.call(addr, ['SENTINEL', 'REPLICAS', name], { timeoutMs })) as unknown[];
    const replicas = (Array.isArray(replies) ? replies : []).map(pairs).map((r) => ({
      addr: joinAddr(r.ip ?? '', Number(r.port)),
      flags: r.flags ?? '',
      ...(r['master-link-status'] ? { masterLinkStatus: r['master-link-status'] } : {}),
      ...(r['slave-repl-offset'] !== undefined ? { offset: Number(r['slave-repl-offset']) } : {}),
    }));
    // During a failover SENTINEL MASTERS still lists the old address; GET-MASTER-ADDR-BY-NAME names the
    // promoted replica as soon as Sentinel reconfigures the others: that is the master clients are sent to.
    const current = await sentinelMasterAddr(commander, addr, name, timeoutMs).catch(() => undefined);
    return {
      addr,
      masterName: name,
      outcome: 'ok',
      masterAddr: current ?? joinAddr(entry.ip ?? '', Number(entry.port)),
      flags: entry.flags ?? '',
      ...(entry.quorum !== undefined ? { quorum: Number(entry.quorum) } : {}),
      ...(entry['num-other-sentinels'] !== undefined
        ? { numOtherSentinels: Number(entry['num-other-sentinels']) }
        : {}),
      replicas,
    };
  } catch (err) {
    return { addr, outcome: outcomeOf(err), error: err instanceof Error ? err.message : String(err) };
  }
}

/** Ask every configured Sentinel at once; the master most of them name is the view's master. */
export async function readSentinelView(
  commander: NodeCommander,
  sentinels: Addr[],
  masterName: string | undefined,
  timeoutMs = 1000,
): Promise<SentinelView> {
  const answers = await Promise.all(sentinels.map((a) => readSentinel(commander, a, masterName, timeoutMs)));
  const name = masterName ?? answers.find((a) => a.masterName)?.masterName ?? '?';
  const votes = new Map<Addr, number>();
  for (const a of answers)
    if (a.outcome === 'ok' && a.masterAddr) votes.set(a.masterAddr, (votes.get(a.masterAddr) ?? 0) + 1);
  const top = [...votes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  const quorum = answers.find((a) => a.quorum !== undefined)?.quorum;
  return {
    masterName: name,
    answers: answers.map(({ masterName: _, ...a }) => a),
    ...(top ? { masterAddr: top[0] } : {}),
    agreeing: top?.[1] ?? 0,
    ...(quorum !== undefined ? { quorum } : {}),
  };
}

/** Data nodes Sentinel names (its master and the replicas it knows): the scanner probes them too. */
export function sentinelNamedAddrs(view: SentinelView): Addr[] {
  const out = new Set<Addr>();
  for (const a of view.answers) {
    if (a.masterAddr) out.add(a.masterAddr);
    for (const r of a.replicas ?? []) out.add(r.addr);
  }
  return [...out];
}

/** `SENTINEL GET-MASTER-ADDR-BY-NAME`: the master this Sentinel names now. */
export async function sentinelMasterAddr(
  commander: NodeCommander,
  addr: Addr,
  masterName: string,
  timeoutMs = 1000,
): Promise<Addr | undefined> {
  const reply = await commander.call(addr, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName], {
    timeoutMs,
  });
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  return joinAddr(String(reply[0]), Number(reply[1]));
}

/**
 * `SENTINEL FAILOVER <name>` on the first Sentinel that accepts it. A failover already in progress
 * (`INPROG`) counts as accepted. Throws the last error when none accepts (e.g. `NOGOODSLAVE`).
 */
export async function sentinelFailover(
  commander: NodeCommander,
  sentinels: Addr[],
  masterName: string,
): Promise<{ addr: Addr; inProgress: boolean }> {
  let last: unknown;
  for (const addr of sentinels) {
    try {
      await commander.call(addr, ['SENTINEL', 'FAILOVER', masterName]);
      return { addr, inProgress: false };
    } catch (err) {
      if (err instanceof CodedError && /INPROG/.test(err.message)) return { addr, inProgress: true };
      last = err;
      // A Sentinel's refusal (NOGOODSLAVE) is final: another one would refuse for the same reason.
      if (err instanceof CodedError && err.code === ErrorCodes.NodeError) throw err;
    }
  }
  throw last ?? new CodedError(ErrorCodes.StepFailed, 'no Sentinel configured');
}
