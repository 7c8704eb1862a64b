/** The reporter a worker puts in front of a cluster's own: every step event on the bus, in the audit trail and in the metrics. */
import type { PlanRecord } from '../../core/plan-record.ts';
import type { Reporter } from '../../core/ports.ts';
import type { ExecEvent } from '../../core/types.ts';
import { stepDuration } from '../../metrics.ts';
import { audit, publish } from './plan-end.ts';
import type { RunDeps } from './ports.ts';

export interface RunReporter {
  reporter: Reporter;
  /** The executor's `finished` event, held back until the store holds the final status. */
  heldFinished(): ExecEvent | null;
}

export function createRunReporter(deps: RunDeps, rec: PlanRecord, inner?: Reporter): RunReporter {
  let held: ExecEvent | null = null;
  const { id, cluster } = rec.plan;
  const reporter: Reporter = {
    async emit(e) {
      await inner?.emit(e);
      // `finished` goes out once the store holds the final status, so a reader of the store agrees.
      if (e.kind === 'finished') {
        held = e;
        return;
      }
      await publish(deps, e);
      const step = e.step >= 0 ? rec.plan.steps[e.step] : undefined;
      if (step && e.ms !== undefined && e.kind !== 'started')
        stepDuration.observe({ kind: step.kind, outcome: e.kind }, e.ms / 1000);
      if (e.kind !== 'started' && e.kind !== 'waiting')
        await audit(deps, {
          who: 'worker',
          what: 'step',
          cluster,
          plan: id,
          outcome: e.kind,
          detail: `${e.step >= 0 ? `step ${e.step + 1}: ` : ''}${e.detail}`,
        });
    },
  };
  return { reporter, heldFinished: () => held };
}
