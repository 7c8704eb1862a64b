import { parseArgs } from 'node:util';
import type { Finding, Topology } from '../core/types.ts';
import { cliTarget } from './credentials.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

export const STATUS_USAGE = `usage: redis-medic status --nodes host:port[,host:port…] [--password-file path] [--user …] [--timeout ms] [--json]

  --nodes     seed addresses (default: $REDIS_CLUSTER_NODES)
  --password-file  a file holding the ACL password (default: $REDIS_PASSWORD; --password is refused: arguments show in ps)
  --user      ACL user name (default: $REDIS_USERNAME)
  --timeout   per-node timeout in ms (default 1000)
  --extra     more addresses to ask, e.g. pod IPs (host:port,…); live ones outside the cluster are reported
  --json      print { topology, findings } as JSON

exit code: 0 healthy, 1 findings (warning or critical), 2 could not reach the cluster (or bad arguments)`;

export const EXIT_HEALTHY = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_UNREACHABLE = 2;

/** `a, b,,c` → ['a', 'b', 'c']. */
export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Exit code for a scan result: 2 nobody answered, 1 any warning/critical finding, else 0. */
export function statusExitCode(topology: Topology, findings: Finding[]): number {
  if (!topology.probes.some((p) => p.outcome === 'ok')) return EXIT_UNREACHABLE;
  return findings.some((f) => f.severity === 'critical' || f.severity === 'warning')
    ? EXIT_FINDINGS
    : EXIT_HEALTHY;
}

/** The seeds of `--nodes` (default REDIS_CLUSTER_NODES), or why they cannot be used. */
export function seedsFrom(
  nodes: string | undefined,
  env: NodeJS.ProcessEnv,
): { ok: true; seeds: string[] } | { ok: false; why: string } {
  const seeds = splitList(nodes ?? env.REDIS_CLUSTER_NODES);
  if (seeds.length === 0) return { ok: false, why: 'no seed addresses (--nodes or REDIS_CLUSTER_NODES)' };
  const bad = seeds.filter((s) => !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(s));
  if (bad.length > 0) return { ok: false, why: `bad address ${bad.join(', ')} (want host:port)` };
  return { ok: true, seeds };
}

/** Options of every command that reads a cluster (`status`, `diagnose`). */
export const TARGET_OPTIONS = {
  nodes: { type: 'string', short: 'n' },
  // Declared only to refuse it with a clear word (src/cli/credentials.ts).
  password: { type: 'string', short: 'a' },
  'password-file': { type: 'string' },
  user: { type: 'string', short: 'u' },
  timeout: { type: 'string', short: 't' },
  extra: { type: 'string' },
  cluster: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `redis-medic status …` — returns the exit code. */
export async function runStatus(argv: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  function parse(args: string[]) {
    return parseArgs({
      args,
      options: TARGET_OPTIONS,
      allowPositionals: false,
      strict: true,
    });
  }
  try {
    values = parse(argv).values;
  } catch (err) {
    io.stderr(`redis-medic status: ${err instanceof Error ? err.message : String(err)}\n${STATUS_USAGE}\n`);
    return EXIT_UNREACHABLE;
  }
  if (values.help) {
    io.stdout(`${STATUS_USAGE}\n`);
    return EXIT_HEALTHY;
  }
  const parsedSeeds = seedsFrom(values.nodes, io.env);
  if (!parsedSeeds.ok) {
    io.stderr(`redis-medic status: ${parsedSeeds.why}\n${STATUS_USAGE}\n`);
    return EXIT_UNREACHABLE;
  }
  const seeds = parsedSeeds.seeds;
  let timeoutMs = 1000;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      io.stderr(`redis-medic status: --timeout must be a positive number of milliseconds\n`);
      return EXIT_UNREACHABLE;
    }
  }
  const target = cliTarget(values, seeds, io.env);
  if (!target.ok) {
    io.stderr(`redis-medic status: ${target.why}\n`);
    return EXIT_UNREACHABLE;
  }
  const def = target.def;
  // Loaded here, not at the top: `help` and bad arguments answer without loading the scanner.
  const [{ scanCluster }, { analyzeTopology }, { formatStatus, unreachableMessage }] = await Promise.all([
    import('../adapters/redis/scanner.ts'),
    import('../core/topology/analyze.ts'),
    import('./format-status.ts'),
  ]);
  const topology = await scanCluster(def, {
    timeoutMs,
    extraAddrs: splitList(values.extra),
    recordMetrics: false,
  });
  const findings = analyzeTopology(topology);
  const code = statusExitCode(topology, findings);
  if (values.json) io.stdout(`${JSON.stringify({ topology, findings }, null, 2)}\n`);
  else {
    io.stdout(formatStatus(topology, findings));
    if (code === EXIT_UNREACHABLE) io.stderr(unreachableMessage('status', topology, seeds));
  }
  return code;
}
