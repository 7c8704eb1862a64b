/**
 * Keys of the plan store: `<p>:plan:<id>` hash, `<p>:plans` and `<p>:plans:cluster:<name>` zsets by createdAt,
 * `<p>:open` zset of proposed plans by expiresAt, `<p>:lock:<cluster>` the plan that owns the cluster,
 * `<p>:waiters:<cluster>` plans waiting for that lock.
 */
export interface StoreKeys {
  prefix: string;
  plan(id: string): string;
  all: string;
  cluster(name: string): string;
  open: string;
  lock(cluster: string): string;
  waiters(cluster: string): string;
}

export function storeKeys(prefix = 'medic'): StoreKeys {
  return {
    prefix,
    plan: (id) => `${prefix}:plan:${id}`,
    all: `${prefix}:plans`,
    cluster: (name) => `${prefix}:plans:cluster:${name}`,
    open: `${prefix}:open`,
    lock: (cluster) => `${prefix}:lock:${cluster}`,
    waiters: (cluster) => `${prefix}:waiters:${cluster}`,
  };
}
