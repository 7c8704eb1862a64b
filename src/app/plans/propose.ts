import type { PlanRecord, PlanStore } from '../../core/plan-record.ts';
import { type PlanContext, planForFindings } from '../../core/plans/index.ts';
import type { Clock } from '../../core/ports.ts';
import type { Finding, Plan, PlanOutcome, Topology } from '../../core/types.ts';
import { type AnswerDeps, auditSafe } from '../chat/answer.ts';
import type { ClusterRegistry } from '../clusters.ts';
import { assessKeysAtRisk } from '../keys-at-risk.ts';

/** The plan for what was found, with the findings it does not answer; or why there is none. */
export type Proposal = { ok: true; plan: Plan; others: Finding[] } | Extract<PlanOutcome, { ok: false }>;

/** The one propose path (diagnose and the watcher): topology and findings → plan + the findings left out. */
export function proposeFromFindings(topology: Topology, findings: Finding[], ctx: PlanContext): Proposal {
  const outcome = planForFindings(topology, findings, ctx);
  if (!outcome.ok) return outcome;
  return { ok: true, plan: outcome.plan, others: findingsNotIn(outcome.plan, findings) };
}

/** Findings a plan does not answer (shown in its thread as "also seen"). */
export function findingsNotIn(plan: Plan, findings: Finding[]): Finding[] {
  const addressed = new Set(plan.findings.map((f) => `${f.code}|${f.summary}`));
  return findings.filter((f) => !addressed.has(`${f.code}|${f.summary}`));
}

/** The plan with its keys at risk counted on the live cluster (issue 14); as it was if they cannot be. */
export async function withKeysCounted(
  clusters: Pick<ClusterRegistry, 'resolve'>,
  plan: Plan,
  topology: Topology,
): Promise<Plan> {
  const r = clusters.resolve(plan.cluster);
  if (!r.ok) return plan;
  return assessKeysAtRisk(plan, topology, r.entry.commander).catch(() => plan);
}

/** Stores a plan as proposed and audits who proposed it. */
export async function recordProposal(
  deps: Pick<AnswerDeps, 'audit' | 'log'> & { store: Pick<PlanStore, 'create'>; clock: Clock },
  plan: Plan,
  who: string,
): Promise<PlanRecord> {
  const rec = await deps.store.create(plan, { now: deps.clock.now() });
  await auditSafe(deps, {
    who,
    what: 'proposed',
    cluster: plan.cluster,
    plan: plan.id,
    outcome: 'proposed',
    detail: `${plan.title} (${plan.steps.length} steps, ${plan.risk} risk)`,
  });
  return rec;
}
