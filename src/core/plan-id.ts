/** Plan ids become BullMQ job ids and key parts: letters, digits, - _ . (not all digits), at most 128. */
export const PLAN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isPlanId(id: unknown): id is string {
  return typeof id === 'string' && PLAN_ID_PATTERN.test(id) && !/^\d+$/.test(id);
}
