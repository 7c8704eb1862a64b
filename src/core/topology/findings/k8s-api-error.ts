import type { Finding, Topology } from '../../types.ts';
import { FindingCodes } from './codes.ts';

/** The Kubernetes API could not be read: the picture comes from Redis alone. */
export const codes = [FindingCodes.K8sApiError];

export function find(topology: Topology): Finding[] {
  return topology.podError ? [k8sApiErrorFinding(topology.podError)] : [];
}

export function k8sApiErrorFinding(message: string): Finding {
  return {
    code: FindingCodes.K8sApiError,
    severity: 'warning',
    summary: `The Kubernetes API could not be read (${message}): this picture comes from Redis alone`,
    nodes: [],
    evidence: [message],
  };
}
