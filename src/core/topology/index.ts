export * from './analyze.ts';
export * from './build-topology.ts';
export * from './moved-nodes.ts';
export * from './parse-cluster-nodes.ts';
export * from './parse-info.ts';
export * from './resolve-node.ts';
export * from './slots.ts';
