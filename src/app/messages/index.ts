/** Pure Block Kit renderers: data in, `{ text, blocks }` out, always within Block Kit limits. */

export * from './data-loss.ts';
export * from './kit.ts';
export * from './lists.ts';
export * from './plan.ts';
export * from './plan-progress.ts';
export * from './plan-status.ts';
export * from './plan-summary.ts';
export * from './plan-votes.ts';
export * from './status.ts';
