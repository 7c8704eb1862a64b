/**
 * `failover <replica>` under Sentinel (issue 19, part 6): Sentinel picks the replica with the lowest
 * `replica-priority`, so the other replicas are set to priority 0 ("never promote") for the failover and
 * their own priority is restored afterwards — each a visible step of the plan. Pure.
 */
import type { SentinelView, Step } from '../types.ts';
import { sentinelFailoverStep } from './steps.ts';
import { describeStandalone, type StandaloneNode } from './view.ts';

/** Redis's default `replica-priority`. */
const DEFAULT_PRIORITY = 100;

/** The replica's `replica-priority` as its INFO replication says (`slave_priority`), else Redis's default. */
export function replicaPriority(n: StandaloneNode): number {
  const raw = n.probe.replication?.raw.slave_priority;
  const v = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(v) ? v : DEFAULT_PRIORITY;
}

function priorityStep(n: StandaloneNode, priority: number, sentence: string, sentinel?: SentinelView): Step {
  return {
    kind: 'replica-priority',
    addr: n.addr,
    priority,
    ...(sentinel ? { sentinels: sentinel.answers.map((a) => a.addr), masterName: sentinel.masterName } : {}),
    risk: 'low',
    sentence,
    commands: [`${n.addr} CONFIG SET replica-priority ${priority}`],
  };
}

/**
 * Steps that make Sentinel promote `chosen`: priority 0 on every other replica (waiting until the Sentinels
 * see it), `SENTINEL FAILOVER`, then each other replica's priority back. A refusal when `chosen` itself has
 * priority 0 (Sentinel never promotes it).
 */
export function chosenReplicaSteps(
  sentinel: SentinelView,
  chosen: StandaloneNode,
  others: StandaloneNode[],
): { ok: true; steps: Step[] } | { ok: false; reason: string } {
  if (replicaPriority(chosen) === 0)
    return {
      ok: false,
      reason: `${chosen.addr} has replica-priority 0: Sentinel never promotes it. Set it above 0 (\`CONFIG SET replica-priority 100\`) or name another replica.`,
    };
  const lowered = others.filter((o) => replicaPriority(o) !== 0);
  const steps: Step[] = lowered.map((o) =>
    priorityStep(
      o,
      0,
      `Set replica-priority 0 on ${describeStandalone(o)} (now ${replicaPriority(o)}) so that Sentinel cannot pick it, and wait until every Sentinel sees it. Restored after the failover.`,
      sentinel,
    ),
  );
  const failover = sentinelFailoverStep(sentinel, `a planned handover to ${chosen.addr}`);
  steps.push({
    ...failover,
    expectPromoted: chosen.addr,
    sentence: `${failover.sentence} With the other replicas at priority 0, Sentinel can only pick ${describeStandalone(chosen)}.`,
  });
  for (const o of lowered)
    steps.push(
      priorityStep(
        o,
        replicaPriority(o),
        `Restore replica-priority ${replicaPriority(o)} on ${describeStandalone(o)}. If the plan stops before this step, run this command by hand.`,
      ),
    );
  return { ok: true, steps };
}
