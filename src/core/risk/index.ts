export * from './format.ts';
export * from './keys-at-risk.ts';
