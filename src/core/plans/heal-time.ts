import type { Plan, StepKind } from '../types.ts';

/** What one kind of step waits on, and how long that usually takes (seconds). */
interface StepWait {
  low: number;
  high: number;
  /** What Redis (or Kubernetes, or Sentinel) is doing meanwhile; none when the step is over at once. */
  waitsOn?: string;
}

/** First full sync of a new replica: Redis waits repl-diskless-sync-delay, then copies the data. */
const FULL_SYNC =
  'the first full sync (Redis waits `repl-diskless-sync-delay`, 5 s by default, then copies the data)';
const GOSSIP = 'gossip (every node hears of the change within about a second)';

/**
 * Typical durations on a healthy network; the bot's own share is ~0.2 s for a whole plan (bench row 4).
 * The ranges are a guide for the person approving, never a deadline: every wait has its own timeout.
 */
const WAITS: Record<StepKind, StepWait> = {
  forget: { low: 0.1, high: 0.5 },
  meet: { low: 0.5, high: 2, waitsOn: GOSSIP },
  replicate: { low: 5, high: 15, waitsOn: FULL_SYNC },
  replicaof: { low: 5, high: 15, waitsOn: FULL_SYNC },
  failover: {
    low: 0.5,
    high: 3,
    waitsOn: 'the replica catching up and the masters’ votes, then gossip',
  },
  'fix-slots': { low: 0.5, high: 2, waitsOn: GOSSIP },
  'restart-pod': {
    low: 10,
    high: 60,
    waitsOn: 'Kubernetes recreating the pod and Redis loading its data',
  },
  promote: { low: 0.5, high: 3, waitsOn: 'the replica catching up before it takes over' },
  'enable-aof': { low: 1, high: 10, waitsOn: 'the AOF rewrite of the data set' },
  'sentinel-failover': {
    low: 1,
    high: 10,
    waitsOn: 'Sentinel electing a leader and promoting a replica',
  },
  reintroduce: { low: 1, high: 10, waitsOn: 'gossip carrying every new address to every node' },
  'replica-links': { low: 0, high: 15, waitsOn: FULL_SYNC },
  'replica-priority': { low: 0.1, high: 0.5 },
};

/** Expected duration of a whole plan: the sum of its steps' ranges, and what the time goes to. */
export function expectedDuration(plan: Pick<Plan, 'steps'>): {
  low: number;
  high: number;
  waitsOn: string[];
} {
  let low = 0;
  let high = 0;
  const waitsOn: string[] = [];
  for (const s of plan.steps) {
    const w = WAITS[s.kind] ?? { low: 1, high: 10 };
    low += w.low;
    high += w.high;
    if (w.waitsOn && !waitsOn.includes(w.waitsOn)) waitsOn.push(w.waitsOn);
  }
  return { low, high, waitsOn };
}

/** `6–18 s`, `2–5 min`, `under a second`. */
function range(low: number, high: number): string {
  if (high < 1) return 'under a second';
  if (high < 90) return `${Math.max(1, Math.round(low))}–${Math.round(high)} s`;
  return `${Math.max(1, Math.round(low / 60))}–${Math.round(high / 60)} min`;
}

/** One line for the plan message: "Expected to take about 6–18 s, nearly all of it waiting on …". */
export function expectedDurationLine(plan: Pick<Plan, 'steps'>): string {
  const d = expectedDuration(plan);
  const waits =
    d.waitsOn.length > 0
      ? `, nearly all of it waiting on ${d.waitsOn.join('; ')}`
      : ', nothing to wait for once the commands are sent';
  const r = range(d.low, d.high);
  return `Expected to take ${r.startsWith('under') ? r : `about ${r}`}${waits}.`;
}
