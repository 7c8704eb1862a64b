import type { PlanStore } from '../../core/plan-record.ts';
import type { PlanContext } from '../../core/plans/index.ts';
import type { Clock } from '../../core/ports.ts';
import type { ApprovalService } from '../approvals.ts';
import type { messageDecorators } from '../cluster-links.ts';
import type { ClusterEntry, ClusterRegistry } from '../clusters.ts';
import type { CommandGate } from '../command-gate.ts';
import type { PlanThreads } from '../plans/plan-thread.ts';
import type { Scan, ScanResult } from '../scan.ts';
import { type AnswerDeps, type Asker, refusal, refuse, unreachable } from './answer.ts';
import type { ChaosHandler, ChatSettings } from './types.ts';

/** What every command and button handler of the chat service works with. */
export interface ChatContext extends AnswerDeps, ReturnType<typeof messageDecorators> {
  clusters: ClusterRegistry;
  store: PlanStore;
  approvals: ApprovalService;
  settings: ChatSettings;
  clock: Clock;
  chaos?: ChaosHandler;
  gate: CommandGate;
  scan: Scan;
  /** The live plan messages (schedule an update, watch a plan until it ends). */
  threads: PlanThreads;
}

/** The named (or default) cluster; an unknown name has been answered, its outcome returned. */
export async function clusterOrRefuse(
  ctx: ChatContext,
  req: Asker,
  name: string | undefined,
): Promise<{ ok: true; entry: ClusterEntry } | { ok: false; outcome: string }> {
  const r = ctx.clusters.resolve(name);
  if (r.ok) return r;
  return { ok: false, outcome: await refuse(ctx, req, refusal(r.error)) };
}

/** The named cluster, freshly read; an unknown name or an unreadable cluster has been answered. */
export async function scanOrRefuse(
  ctx: ChatContext,
  req: Asker,
  name: string | undefined,
): Promise<
  { ok: true; entry: ClusterEntry; scan: Extract<ScanResult, { ok: true }> } | { ok: false; outcome: string }
> {
  const c = await clusterOrRefuse(ctx, req, name);
  if (!c.ok) return c;
  const s = await ctx.scan(c.entry);
  if (!s.ok) return { ok: false, outcome: await refuse(ctx, req, unreachable(c.entry, s.error)) };
  return { ok: true, entry: c.entry, scan: s };
}

/** The planner's context for a plan `user` asks for on `entry`. */
export function planContext(ctx: ChatContext, entry: ClusterEntry, user: string): PlanContext {
  return { cluster: entry.name, requestedBy: user, now: ctx.clock.now(), ttlMs: ctx.settings.planTtlMs };
}
