import type { Finding, Topology } from '../../types.ts';
import { findStrayKeys, STRAY_KEYS_CODE } from '../stray-keys.ts';

/** Keys on a master that does not own their slot (issue 14). */
export const codes = [STRAY_KEYS_CODE];

export function find(topology: Topology): Finding[] {
  return findStrayKeys(topology);
}
