/**
 * The finding "keys in a slot on a master that does not own it": from the scan's COUNTKEYSINSLOT of every
 * suspect slot on every reachable master (Topology.slotKeys). Clients never reach those keys: they are
 * redirected to the owner. Pure.
 */
import type { Finding, NodeId, Topology } from '../types.ts';

export const STRAY_KEYS_CODE = 'keys-in-unowned-slot';

export function findStrayKeys(topology: Topology): Finding[] {
  const out: Finding[] = [];
  const byId = new Map(topology.nodes.map((n) => [n.id, n]));
  const label = (id: NodeId) => `${byId.get(id)?.addr ?? 'noaddr'} (${id.slice(0, 8)})`;
  for (const e of topology.slotKeys ?? []) {
    const owns = (id: NodeId) =>
      byId.get(id)?.slots.some((r) => r.start <= e.slot && e.slot <= r.end) ?? false;
    const stray = e.counts.filter((c) => c.keys > 0 && !owns(c.id));
    if (stray.length === 0) continue;
    const owner = topology.nodes.find((n) => n.role === 'master' && owns(n.id));
    const ownerKeys = owner ? e.counts.find((c) => c.id === owner.id)?.keys : undefined;
    const total = stray.reduce((s, c) => s + c.keys, 0);
    const ownerText = owner
      ? `its owner ${label(owner.id)}${ownerKeys !== undefined ? ` holds ${ownerKeys}` : ''}`
      : 'no master owns it';
    out.push({
      code: STRAY_KEYS_CODE,
      severity: 'critical',
      summary: `slot ${e.slot}: ${total} key${total === 1 ? '' : 's'} on ${stray.map((c) => (stray.length > 1 ? `${label(c.id)} (${c.keys})` : label(c.id))).join(', ')}, which do${stray.length === 1 ? 'es' : ''} not own it; ${ownerText}. Clients cannot read those keys`,
      nodes: stray.map((c) => c.id),
      addrs: stray.map((c) => c.addr),
      evidence: e.counts.map((c) => `${c.addr}: CLUSTER COUNTKEYSINSLOT ${e.slot} = ${c.keys}`),
    });
  }
  return out;
}
