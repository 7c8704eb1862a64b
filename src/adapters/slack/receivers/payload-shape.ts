/**
 * A signed interactive request whose payload Bolt could not route (not JSON, no type, a button click without
 * a user or actions) is refused with 400 before Bolt sees it: Bolt would answer 500 and log an error.
 */
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with the `payload` of a form-encoded request, or null (also when there is no payload). */
export function payloadProblem(body: Buffer, contentType: string | undefined): string | null {
  if (contentType !== 'application/x-www-form-urlencoded') return null;
  const raw = new URLSearchParams(body.toString('utf8')).get('payload');
  if (raw === null) return null;
  let p: unknown;
  try {
    p = JSON.parse(raw);
  } catch {
    return 'payload is not JSON';
  }
  if (!isObject(p) || typeof p.type !== 'string') return 'payload has no type';
  // Buttons are the only interactive surface redis-medic has.
  if (p.type !== 'block_actions') return `unexpected payload type`;
  if (!isObject(p.user) || typeof p.user.id !== 'string') return 'block_actions without user.id';
  if (!Array.isArray(p.actions) || p.actions.length === 0) return 'block_actions without actions';
  if (!p.actions.every((a) => isObject(a) && typeof a.action_id === 'string'))
    return 'block_actions with an action that has no action_id';
  for (const k of ['channel', 'container', 'message'] as const)
    if (p[k] !== undefined && !isObject(p[k])) return `block_actions with a malformed ${k}`;
  return null;
}
