/**
 * `CLUSTER SETSLOT` on one node, as its server needs it. Valkey ≥ 8.0 hands SETSLOT to the node's online
 * replicas first and answers NOREPLICAS (changing nothing) when one does not acknowledge within 2 s; Redis
 * applies it at once. So on Valkey we wait past that window, and a NOREPLICAS answer is told as what it is.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { explainSetSlotNoReplicas, setSlotTimeoutMs } from '../../core/topology/server-traits.ts';
import type { Addr } from '../../core/types.ts';
import type { StepContext } from './types.ts';

/** The commander's default per-call timeout (node-commander.ts), which a SETSLOT on Valkey must outlast. */
const DEFAULT_CALL_MS = 1000;

export async function setSlot(ctx: StepContext, addr: Addr, args: (string | number)[]): Promise<unknown> {
  const server = ctx.topology.probes.find((p) => p.addr === addr)?.server;
  const timeoutMs = setSlotTimeoutMs(server, DEFAULT_CALL_MS);
  try {
    return await ctx.commander.call(
      addr,
      ['CLUSTER', 'SETSLOT', ...args],
      timeoutMs ? { timeoutMs } : undefined,
    );
  } catch (err) {
    const reply = err instanceof CodedError ? err.details?.reply : undefined;
    if (typeof reply !== 'string' || !/^NOREPLICAS/i.test(reply)) throw err;
    const self = ctx.topology.nodes.find((n) => n.addr === addr);
    const replicas = ctx.topology.nodes
      .filter((n) => self !== undefined && n.masterId === self.id && n.addr !== null)
      .map((n) => n.addr!);
    const command = `CLUSTER SETSLOT ${args.join(' ')}`;
    throw new CodedError(ErrorCodes.StepFailed, explainSetSlotNoReplicas(addr, server, command, replicas), {
      addr,
      reply,
      transient: false,
    });
  }
}
