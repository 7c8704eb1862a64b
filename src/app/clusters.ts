import { CodedError, ErrorCodes } from '../core/errors.ts';
import type {
  Clock,
  ClusterDefinition,
  NodeCommander,
  PodApi,
  Reporter,
  TopologySource,
} from '../core/ports.ts';
import type { ClusterExecutorDeps } from './run/executor.ts';

/** One cluster the bot looks after, with its clients built once. */
export interface ClusterEntry {
  name: string;
  def: ClusterDefinition;
  /** Fresh topology of this cluster (bounded by the scan timeout). */
  source: TopologySource;
  /** Sends commands to this cluster's nodes, with this cluster's credentials. */
  commander: NodeCommander;
  pods?: PodApi;
}

/** name → cluster. A single-cluster setup answers `get()` without a name. */
export interface ClusterRegistry {
  /** Names, in configuration order. */
  names(): string[];
  list(): ClusterEntry[];
  /** The named cluster, or the only / default one when no name is given. Throws UNKNOWN_CLUSTER with the known names. */
  get(name?: string): ClusterEntry;
  /** Like get, without throwing. */
  resolve(name?: string): { ok: true; entry: ClusterEntry } | { ok: false; error: string };
  /** Deps for executing a plan on `cluster` (the plan worker adds its own reporter in front of `reporter`). */
  executorDeps(cluster: string, opts: { clock: Clock; reporter?: Reporter }): ClusterExecutorDeps;
  /** Closes every commander. */
  close(): Promise<void>;
}

/** How clients for one cluster are built (compose.ts passes the real adapters; tests may pass others). */
export interface ClusterFactories {
  createSource(def: ClusterDefinition, commander: NodeCommander, pods?: PodApi): TopologySource;
  createCommander(def: ClusterDefinition): NodeCommander;
  createPods?(def: ClusterDefinition): PodApi | undefined;
}

export function createClusterRegistry(
  defs: ClusterDefinition[],
  factories: ClusterFactories,
  opts: { defaultCluster?: string } = {},
): ClusterRegistry {
  if (defs.length === 0) throw new CodedError(ErrorCodes.ConfigInvalid, 'no cluster is configured');
  const entries = new Map<string, ClusterEntry>();
  for (const def of defs) {
    if (entries.has(def.name))
      throw new CodedError(ErrorCodes.ConfigInvalid, `cluster "${def.name}" is defined twice`);
    const commander = factories.createCommander(def);
    const pods = def.k8s ? factories.createPods?.(def) : undefined;
    const source = factories.createSource(def, commander, pods);
    entries.set(def.name, { name: def.name, def, source, commander, ...(pods ? { pods } : {}) });
  }
  const names = [...entries.keys()];
  const known = () => names.join(', ');

  const resolve: ClusterRegistry['resolve'] = (name) => {
    if (name === undefined || name === '') {
      if (entries.size === 1) return { ok: true, entry: entries.values().next().value as ClusterEntry };
      const d = opts.defaultCluster ? entries.get(opts.defaultCluster) : undefined;
      if (d) return { ok: true, entry: d };
      return {
        ok: false,
        error: `several clusters are configured: name one of ${known()} (e.g. --cluster ${names[0]})`,
      };
    }
    const e = entries.get(name);
    if (e) return { ok: true, entry: e };
    return { ok: false, error: `unknown cluster "${name}": known clusters are ${known()}` };
  };

  return {
    names: () => [...names],
    list: () => [...entries.values()],
    resolve,
    get(name) {
      const r = resolve(name);
      if (!r.ok) throw new CodedError(ErrorCodes.UnknownCluster, r.error, { known: names });
      return r.entry;
    },
    executorDeps(cluster, o) {
      const r = resolve(cluster);
      if (!r.ok) throw new CodedError(ErrorCodes.UnknownCluster, r.error, { known: names });
      const e = r.entry;
      return {
        source: e.source,
        commander: e.commander,
        ...(e.pods ? { pods: e.pods } : {}),
        ...(o.reporter ? { reporter: o.reporter } : {}),
        clock: o.clock,
      };
    },
    async close() {
      await Promise.allSettled([...entries.values()].map((e) => e.commander.close()));
    },
  };
}
