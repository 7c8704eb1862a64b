export * from './analyze.ts';
export * from './planner.ts';
export * from './steps.ts';
export * from './view.ts';
