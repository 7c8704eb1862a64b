import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Config } from './config.ts';
import { linkTemplate } from './config-checks.ts';
import { CodedError, ErrorCodes, type ParseResult } from './core/errors.ts';
import type { ClusterDefinition, RedisAuth } from './core/ports.ts';

/**
 * CLUSTERS_FILE: several target clusters in one YAML file.
 *
 * ```yaml
 * clusters:
 *   - name: payments
 *     seeds: [10.0.0.11:6379, 10.0.0.12:6379]
 *     password: { env: PAYMENTS_REDIS_PASSWORD }
 *   - name: sessions
 *     namespace: redis-sessions
 *     selector: app.kubernetes.io/name=redis-cluster   # the default
 *     username: medic
 *     password: { file: /var/run/secrets/redis-sessions/password }
 *   - name: carts                      # plain master/replicas watched by Sentinel
 *     seeds: [10.0.0.21:6379]
 *     sentinels: [10.0.0.31:26379, 10.0.0.32:26379, 10.0.0.33:26379]
 *     sentinelMaster: mymaster
 *     channels: [C0CARTSOPS]           # only these channels may act on it (default: any allowed channel)
 *     dashboard_url: https://grafana.example.com/d/redis?var-cluster={cluster}&var-node={node}
 *     runbook_url: https://runbooks.example.com/redis/{cluster}
 * ```
 * A cluster needs seeds, or a namespace (pods found by selector), or both. Passwords are never written
 * in the file: they come from an environment variable or a mounted Secret file.
 */

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const ADDR = /^[^\s:,]+:\d{1,5}$/;
const DEFAULT_SELECTOR = 'app.kubernetes.io/name=redis-cluster';

const secretRef = z
  .object({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' })
      .optional(),
    file: z.string().min(1, { message: 'expected a file path' }).optional(),
  })
  .strict()
  .refine((r) => (r.env === undefined) !== (r.file === undefined), {
    message: 'expected exactly one of env (a variable name) or file (a mounted Secret path)',
  });

/** A list of `host:port` (seeds, sentinels). */
const addrList = z
  .array(
    z
      .string()
      .regex(ADDR, { message: 'expected host:port' })
      .refine(validPort, { message: 'port out of range' }),
  )
  .optional();

const clusterSchema = z
  .object({
    name: z.string({ message: 'required: lowercase letters, digits, -' }).regex(NAME, {
      message: 'expected lowercase letters, digits, -',
    }),
    seeds: addrList,
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a namespace name' })
      .optional(),
    selector: z.string().min(1).optional(),
    // Sentinels of a plain master/replica set: the bot fails over through them (issue 10).
    sentinels: addrList,
    sentinelMaster: z.string().min(1).optional(),
    channels: z
      .array(z.string().regex(/^[CGD][A-Z0-9]{2,}$/, { message: 'expected a Slack channel id (C…)' }))
      .optional(),
    // Link buttons on status, plan and incident messages (issue 19): templates with {cluster} and {node}.
    dashboard_url: linkTemplate.optional(),
    runbook_url: linkTemplate.optional(),
    username: z.string().min(1).optional(),
    password: z
      .union([z.string(), secretRef], {
        message: 'expected { env: VARIABLE } or { file: /path/to/secret }',
      })
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.seeds?.length && !c.namespace) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs seeds (host:port list) or a namespace (pods by selector)',
      });
    }
    if (c.selector && !c.namespace) {
      ctx.addIssue({ code: 'custom', path: ['selector'], message: 'a selector needs a namespace' });
    }
    if (typeof c.password === 'string') {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'do not write passwords in this file: use { env: VARIABLE } or { file: /path/to/secret }',
      });
    }
  });

const fileSchema = z
  .object({
    clusters: z.array(clusterSchema, { message: 'expected a list of clusters' }).min(1, {
      message: 'expected at least one cluster',
    }),
  })
  .strict();

function validPort(addr: string): boolean {
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535;
}

export interface ClustersFileOptions {
  env?: NodeJS.ProcessEnv;
  /** Reads a Secret file; injectable for tests. */
  readFile?: (path: string) => string;
}

/** Parses the YAML text of a clusters file. Problems name the cluster and field, never a secret's value. */
export function parseClustersFile(
  text: string,
  opts: ClustersFileOptions = {},
): ParseResult<ClusterDefinition[]> {
  const env = opts.env ?? process.env;
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, error: `not valid YAML: ${why}` };
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const raw = doc as { clusters?: { name?: unknown }[] } | null;
    const problems = parsed.error.issues.map((issue) => `${where(issue.path, raw)}: ${issue.message}`);
    return { ok: false, error: problems.join('; ') };
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  const defs: ClusterDefinition[] = [];
  parsed.data.clusters.forEach((c, i) => {
    const at = `clusters[${i}] (${c.name})`;
    if (seen.has(c.name)) problems.push(`${at}.name: "${c.name}" is used twice`);
    seen.add(c.name);
    const auth: RedisAuth = {};
    if (c.username) auth.username = c.username;
    const ref = c.password;
    if (ref && typeof ref === 'object') {
      if (ref.env !== undefined) {
        const value = env[ref.env];
        if (value === undefined || value === '')
          problems.push(`${at}.password: environment variable ${ref.env} is not set`);
        else auth.password = value;
      } else if (ref.file !== undefined) {
        try {
          // A mounted Secret file often ends with a newline that is not part of the password.
          auth.password = readFile(ref.file).replace(/\r?\n$/, '');
          if (!auth.password) problems.push(`${at}.password: file ${ref.file} is empty`);
        } catch (err) {
          const code = (err as { code?: string }).code;
          problems.push(`${at}.password: cannot read ${ref.file}${code ? ` (${code})` : ''}`);
        }
      }
    }
    const def: ClusterDefinition = { name: c.name, seeds: c.seeds ?? [], auth };
    if (c.namespace) def.k8s = { namespace: c.namespace, selector: c.selector ?? DEFAULT_SELECTOR };
    if (c.sentinels?.length) def.sentinels = c.sentinels;
    if (c.sentinelMaster) def.sentinelMaster = c.sentinelMaster;
    if (c.channels?.length) def.channels = c.channels;
    if (c.dashboard_url || c.runbook_url)
      def.links = {
        ...(c.dashboard_url ? { dashboardUrl: c.dashboard_url } : {}),
        ...(c.runbook_url ? { runbookUrl: c.runbook_url } : {}),
      };
    defs.push(def);
  });
  if (problems.length) return { ok: false, error: problems.join('; ') };
  return { ok: true, value: defs };
}

function where(path: PropertyKey[], raw: { clusters?: { name?: unknown }[] } | null): string {
  if (path.length === 0) return '(file)';
  let out = '';
  for (const [i, p] of path.entries()) {
    if (typeof p === 'number') {
      out += `[${p}]`;
      if (i === 1 && path[0] === 'clusters') {
        const name = raw?.clusters?.[p]?.name;
        if (typeof name === 'string') out += ` (${name})`;
      }
    } else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Reads and validates CLUSTERS_FILE; throws CONFIG_INVALID naming the file and every problem. */
export function loadClustersFile(path: string, opts: ClustersFileOptions = {}): ClusterDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CodedError(
      ErrorCodes.ConfigInvalid,
      `CLUSTERS_FILE: cannot read ${path}${code ? ` (${code})` : ''}`,
    );
  }
  const result = parseClustersFile(text, opts);
  if (!result.ok) throw new CodedError(ErrorCodes.ConfigInvalid, `CLUSTERS_FILE (${path}): ${result.error}`);
  return result.value;
}

/**
 * The clusters the bot looks after: those of CLUSTERS_FILE when set, else one cluster from
 * REDIS_CLUSTER_NODES / REDIS_PASSWORD / K8S_* under CLUSTER_NAME.
 */
export function clusterDefinitionsFromConfig(
  config: Config,
  opts: ClustersFileOptions = {},
): ClusterDefinition[] {
  if (config.CLUSTERS_FILE) return loadClustersFile(config.CLUSTERS_FILE, opts);
  const auth: RedisAuth = {};
  if (config.REDIS_USERNAME) auth.username = config.REDIS_USERNAME;
  if (config.REDIS_PASSWORD) auth.password = config.REDIS_PASSWORD;
  const def: ClusterDefinition = { name: config.CLUSTER_NAME, seeds: config.REDIS_CLUSTER_NODES, auth };
  if (config.K8S_ENABLED) def.k8s = { namespace: config.K8S_NAMESPACE, selector: config.K8S_POD_SELECTOR };
  if (config.DASHBOARD_URL || config.RUNBOOK_URL)
    def.links = {
      ...(config.DASHBOARD_URL ? { dashboardUrl: config.DASHBOARD_URL } : {}),
      ...(config.RUNBOOK_URL ? { runbookUrl: config.RUNBOOK_URL } : {}),
    };
  return [def];
}
