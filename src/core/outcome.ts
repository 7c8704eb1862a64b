/** An answer that is either what was asked for (`ok: true`) or a refusal saying why (`ok: false`). */
export type Outcome<Ok extends object, Refusal extends object> =
  | ({ ok: true } & Ok)
  | ({ ok: false } & Refusal);
