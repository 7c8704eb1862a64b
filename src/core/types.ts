/**
 * The shared vocabulary of redis-medic. Everything here is plain, JSON-serialisable data:
 * plans are stored in the control Redis and carried in BullMQ jobs, topologies are printed with --json.
 * The core (src/core) only takes and returns these types; adapters build and consume them.
 */

export * from './plan-types.ts';
export * from './topology-types.ts';
