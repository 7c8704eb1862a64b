import { z } from 'zod';
import { MIN_SECRET_LENGTH } from './app/approval-seal.ts';
import {
  commaList,
  duration,
  linkTemplate,
  slackAppToken,
  slackBotToken,
  slackChannelId,
  slackIdList,
  slackKeyProblems,
  slackSigningSecret,
  withoutEmpty,
} from './config-checks.ts';
import { securityChecks, truthy } from './config-security.ts';

/** `host:port` with a port in 1..65535. */
const addrPattern = /^[^\s:,]+:\d{1,5}$/;

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .optional()
    .transform((v) => (v === undefined ? def : v === 'true' || v === '1' || v === 'yes'));

const seeds = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const list = commaList(v);
    for (const a of list) {
      if (!addrPattern.test(a)) {
        ctx.addIssue({ code: 'custom', message: `expected comma-separated host:port, got "${a}"` });
        return z.NEVER;
      }
    }
    return list;
  });

/** A whole number with a default (counts, sizes); durations use `duration()` from config-checks.ts. */
export const msInt = (def: number, min = 0) =>
  z.coerce.number({ message: 'expected a number' }).int().min(min).default(def);

/** One schema for the whole environment (design.md, "User-facing contract"). */
export const envSchema = z.object({
  SLACK_MODE: z
    .enum(['socket', 'http'], { message: 'expected "socket" or "http" (unset: console)' })
    .optional(),
  SLACK_BOT_TOKEN: slackBotToken,
  SLACK_SIGNING_SECRET: slackSigningSecret,
  SLACK_APP_TOKEN: slackAppToken,
  SLACK_API_URL: z
    .url({ message: 'expected a URL such as https://slack.com/api/' })
    .default('https://slack.com/api/'),
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** `/livez`, `/readyz`, `/healthz`, `/metrics`: apart from Slack's PORT (0: any free port). */
  OPS_PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(9090),
  CONTROL_REDIS_URL: z
    .string({ message: 'required: redis://host:port of the control Redis (queues, plans, audit)' })
    .regex(/^rediss?:\/\//, { message: 'expected a redis:// or rediss:// URL' }),
  REDIS_CLUSTER_NODES: seeds,
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  CLUSTER_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected lowercase letters, digits, -' })
    .default('default'),
  CLUSTERS_FILE: z.string().optional(),
  K8S_ENABLED: bool(false),
  K8S_NAMESPACE: z.string().default('default'),
  K8S_POD_SELECTOR: z.string().default('app.kubernetes.io/name=redis-cluster'),
  APPROVERS: slackIdList('approver'),
  ALLOWED_CHANNELS: slackIdList('channel'),
  ALLOW_SELF_APPROVAL: bool(false),
  ROLE: z.enum(['all', 'bot', 'worker'], { message: 'expected all, bot or worker' }).default('all'),
  SCAN_TIMEOUT_MS: duration('ms', 1000, 50),
  PLAN_TTL_MS: duration('ms', 15 * 60_000, 1000),
  AUDIT_MAX_AGE_DAYS: duration('d', 90, 1),
  WATCH_INTERVAL: duration('s', 10, 0),
  WATCH_GRACE: duration('s', 30, 0),
  WATCH_CHANNEL: slackChannelId,
  APPROVAL_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, { message: `expected at least ${MIN_SECRET_LENGTH} characters` })
    .optional(),
  /** How long an approved plan may wait for a worker before it is refused as expired. */
  PLAN_MAX_QUEUED: duration('s', 15 * 60, 1).transform((s) => s * 1000),
  ALLOW_ALL_CHANNELS: bool(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number({ message: 'expected a whole number' }).int().min(0).default(10),
  // Alertmanager in (issue 19): the webhook is off without a token; the label names the cluster.
  ALERTMANAGER_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  ),
  ALERT_CLUSTER_LABEL: z.string().min(1).default('redis_cluster'),
  // Link buttons (issue 19) of the one cluster of REDIS_CLUSTER_NODES; CLUSTERS_FILE has them per cluster.
  DASHBOARD_URL: linkTemplate.optional(),
  RUNBOOK_URL: linkTemplate.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Rules that tie variables together; checked on the raw environment so they are reported with the rest. */
function crossChecks(env: NodeJS.ProcessEnv): string[] {
  const problems = slackKeyProblems(env);
  if (!env.REDIS_CLUSTER_NODES?.trim() && !env.CLUSTERS_FILE && !truthy(env.K8S_ENABLED))
    problems.push(
      'REDIS_CLUSTER_NODES: required: comma-separated host:port seeds (or set CLUSTERS_FILE, or K8S_ENABLED=true)',
    );
  problems.push(...securityChecks(env));
  // With CLUSTERS_FILE, clusters with a channel of their own need none: compose checks that once the file is read.
  if (env.ALERTMANAGER_TOKEN && !env.WATCH_CHANNEL && !env.CLUSTERS_FILE)
    problems.push('WATCH_CHANNEL: required when ALERTMANAGER_TOKEN is set (where alerts are posted)');
  return problems;
}

export type Config = z.output<typeof envSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Validates the environment. Problems name the variable and what is expected, never the value given. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): ConfigResult {
  const env = withoutEmpty(rawEnv);
  const parsed = envSchema.safeParse(env);
  const problems = crossChecks(env);
  if (parsed.success && problems.length === 0) return { ok: true, config: parsed.data };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') || '(environment)';
      const missing = env[name] === undefined && !issue.message.startsWith('required');
      problems.unshift(`${name}: ${missing ? `required, ${issue.message}` : issue.message}`);
    }
  }
  return { ok: false, problems };
}
