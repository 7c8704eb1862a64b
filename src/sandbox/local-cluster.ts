/**
 * Real `redis-server` processes on loopback, for tests, the sandbox and the benches: the one entry point.
 * ports.ts picks ports, processes.ts tracks and cleans up, server.ts starts one server, cluster.ts and
 * form-cluster.ts build a cluster, single-redis.ts a plain server.
 */
export {
  type FreshNodeOptions,
  type LocalCluster,
  type StartClusterOptions,
  startLocalCluster,
} from './cluster.ts';
export { getPortRange, pickFreePort, pickSharedPort, setPortRange } from './ports.ts';
export type { LocalNode, LocalNodeRole, LocalNodeState } from './server.ts';
export { type LocalRedis, type StartRedisOptions, startRedis } from './single-redis.ts';
export { waitUntil } from './wait-until.ts';
