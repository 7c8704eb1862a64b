export * from './choose-master.ts';
export * from './cluster-view.ts';
export * from './intent-plans.ts';
export * from './plan.ts';
export { bestReplica, planForFindings } from './planner.ts';
