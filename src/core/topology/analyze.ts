import { analyzeStandalone } from '../standalone/analyze.ts';
import type { Finding, Topology } from '../types.ts';
import { FINDING_RULES } from './findings/index.ts';
import { k8sApiErrorFinding } from './findings/k8s-api-error.ts';
import { nobodyAnswered } from './findings/nobody-answered.ts';
import { type AnalyzeOptions, ruleContext, sortFindings } from './findings/shared.ts';

export { FindingCodes } from './findings/codes.ts';
export {
  type AnalyzeOptions,
  DEFAULT_MAX_LAG_SECONDS,
  DEFAULT_MAX_LINK_DOWN_SECONDS,
  DEFAULT_MAX_OFFSET_GAP,
  nodeLabel,
  replicaNeverSynced,
  sortFindings,
} from './findings/shared.ts';

/**
 * Everything wrong with a cluster, as data: one finding per problem, each with the nodes concerned and the
 * evidence (which node said what). Sorted critical → warning → info; a healthy cluster gives [].
 * Each rule lives in `findings/<rule>.ts` and runs from the list in `findings/index.ts`.
 */
export function analyzeTopology(topology: Topology, opts: AnalyzeOptions = {}): Finding[] {
  const podError = topology.podError ? [k8sApiErrorFinding(topology.podError)] : [];
  if (topology.mode === 'standalone') {
    // Plain master/replica deployments have their own findings (src/core/standalone, issue 10).
    const standalone = analyzeStandalone(topology, {
      ...(opts.maxOffsetGap !== undefined ? { maxOffsetGap: opts.maxOffsetGap } : {}),
      ...(opts.maxLagSeconds !== undefined ? { maxLagSeconds: opts.maxLagSeconds } : {}),
    });
    return sortFindings([...standalone, ...podError]);
  }
  if (topology.mode !== 'cluster') return podError;
  const blind = nobodyAnswered(topology);
  if (blind) return sortFindings([blind, ...podError]);
  const ctx = ruleContext(topology, opts);
  return sortFindings(FINDING_RULES.flatMap((rule) => rule.find(topology, ctx)));
}
