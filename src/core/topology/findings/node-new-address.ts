import type { Finding, Topology } from '../../types.ts';
import { findMovedNodes, movedNodesFinding } from '../moved-nodes.ts';
import { FindingCodes } from './codes.ts';

/** Pods back at new IPs with their ids (every pod restarted at once): issue 14. */
export const codes = [FindingCodes.NodeNewAddress];

export function find(topology: Topology): Finding[] {
  const moved = findMovedNodes(topology);
  return moved.length > 0 ? [movedNodesFinding(moved, topology)] : [];
}
