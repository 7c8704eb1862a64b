import { z } from 'zod';
import type { Outcome } from '../outcome.ts';

/**
 * `/redis` grammar (documented in `help`):
 *   /redis <sub-command> [arguments] [--cluster <name>]
 * `--cluster <name>` (also `-c <name>` or `--cluster=<name>`) works on every sub-command; `status`,
 * `diagnose` and `plans` also take the cluster name as their only positional argument (`status prod`).
 */

export const clusterName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const optCluster = clusterName.optional();
/** A `<node>` as typed; resolved against a topology later (resolveNodeRef). */
const nodeRef = z.string().min(1).max(253);
export const planId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);

export const ChaosActions = [
  'kill-master',
  'replace-pod',
  'freeze',
  'thaw',
  'kill-majority',
  'orphan',
] as const;
export type ChaosAction = (typeof ChaosActions)[number];

export const intentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('help'), topic: z.string().optional() }),
  z.object({ kind: z.literal('status'), cluster: optCluster, private: z.boolean().optional() }),
  z.object({
    kind: z.literal('diagnose'),
    cluster: optCluster,
    private: z.boolean().optional(),
    /** `--accept-data-loss`: also propose the plans that drop keys (a master and all its replicas gone for good). */
    acceptDataLoss: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal('failover'),
    node: nodeRef,
    mode: z.enum(['default', 'force', 'takeover']),
    cluster: optCluster,
  }),
  z.object({ kind: z.literal('forget'), node: nodeRef, cluster: optCluster }),
  z.object({ kind: z.literal('join'), node: nodeRef, replicaOf: nodeRef.optional(), cluster: optCluster }),
  z.object({ kind: z.literal('restart'), pod: nodeRef, cluster: optCluster }),
  z.object({ kind: z.literal('plans'), cluster: optCluster }),
  z.object({ kind: z.literal('cancel'), plan: planId, cluster: optCluster }),
  z.object({
    kind: z.literal('audit'),
    n: z.number().int().min(1).max(100),
    plan: planId.optional(),
    cluster: optCluster,
  }),
  z.object({ kind: z.literal('clusters') }),
  z.object({
    kind: z.literal('timeline'),
    plan: planId,
    markdown: z.boolean().optional(),
    cluster: optCluster,
  }),
  z.object({
    kind: z.literal('chaos'),
    action: z.enum(ChaosActions),
    node: nodeRef.optional(),
    cluster: optCluster,
  }),
]);

export type Intent = z.infer<typeof intentSchema>;
export type IntentKind = Intent['kind'];

export type ParseIntentResult = Outcome<
  { intent: Intent },
  {
    /** What was wrong, one sentence, quoting the bad part. */
    error: string;
    /** Usage of the sub-command (or of all of them when the sub-command is unknown). */
    usage: string;
    /** "did you mean" — a corrected sub-command or word, when one is close. */
    suggestion?: string;
    /** The sub-command, when it was recognised (for metrics). */
    command?: IntentKind;
  }
>;

const CLUSTER_OPT = '[--cluster <name>]';
export const ACCEPT_DATA_LOSS = '--accept-data-loss';

/** One usage line per sub-command, in the order `help` shows them. */
export const USAGE: Record<IntentKind, { usage: string; about: string }> = {
  help: { usage: '/redis help [sub-command]', about: 'this help' },
  status: {
    usage: `/redis status [cluster] ${CLUSTER_OPT}`,
    about: 'cluster state, masters, replicas, findings',
  },
  diagnose: {
    usage: `/redis diagnose [cluster] [--accept-data-loss] ${CLUSTER_OPT}`,
    about:
      'findings and a recovery plan with Approve / Reject; --accept-data-loss also offers plans that drop keys (a shard gone for good)',
  },
  failover: {
    usage: `/redis failover <node> [force|takeover] ${CLUSTER_OPT}`,
    about: 'plan a failover to the replica <node>',
  },
  forget: {
    usage: `/redis forget <node> ${CLUSTER_OPT}`,
    about: 'plan forgetting a dead node on every node',
  },
  join: {
    usage: `/redis join <node> [replica-of <master>] ${CLUSTER_OPT}`,
    about: 'plan bringing a node in as a replica',
  },
  restart: { usage: `/redis restart <pod> ${CLUSTER_OPT}`, about: 'plan restarting a pod (Kubernetes)' },
  plans: { usage: `/redis plans [cluster] ${CLUSTER_OPT}`, about: 'plans waiting, running and recent' },
  cancel: { usage: `/redis cancel <plan-id> ${CLUSTER_OPT}`, about: 'cancel a plan not yet finished' },
  audit: {
    usage: `/redis audit [n | plan-id] ${CLUSTER_OPT}`,
    about: 'last n audit entries (default 10, max 100)',
  },
  clusters: { usage: '/redis clusters', about: 'the clusters this bot looks after, with their health' },
  timeline: {
    usage: `/redis timeline <plan-id> [--markdown] ${CLUSTER_OPT}`,
    about: 'what happened, who approved, each step and its duration: for the postmortem',
  },
  chaos: {
    usage: `/redis chaos kill-master|replace-pod|freeze <node>|thaw|kill-majority|orphan ${CLUSTER_OPT}`,
    about: 'sandbox only: break the local cluster the way the write-ups describe',
  },
};

export const NODE_HELP =
  '<node> is a node id (40 hex), a unique id prefix of 6+ hex characters, host:port, or a pod name.';

/** Every sub-command, by its canonical name. */
export const SUB_COMMANDS = Object.keys(USAGE) as IntentKind[];
/** Accepted spellings that are not the canonical name. */
const ALIAS_LIST: Record<string, IntentKind> = {
  '?': 'help',
  '-h': 'help',
  '--help': 'help',
  st: 'status',
  diag: 'diagnose',
  plan: 'plans',
  cluster: 'clusters',
};
// A Map, so that input such as `__proto__` or `constructor` is never read from Object.prototype.
export const ALIASES = new Map<string, IntentKind>(Object.entries(ALIAS_LIST));
export const SUB_COMMAND_SET = new Set<string>(Object.keys(USAGE));

export const MAX_TEXT = 1000;
/** Switches (no value) each sub-command accepts. */
export const SWITCHES: Partial<Record<IntentKind, string[]>> = {
  status: ['--private'],
  diagnose: ['--private', ACCEPT_DATA_LOSS],
  timeline: ['--markdown'],
};
const HEX40 = /^[0-9a-f]{40}$/i;
const HEX_PREFIX = /^[0-9a-f]{6,40}$/i;
/** host:port — IPv4, hostname, or [IPv6]. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))?:(\d{1,5})$/i;
export const DNS1123 = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** What kind of `<node>` a token is, or null. */
export function classifyNodeRef(token: string): 'id' | 'id-prefix' | 'addr' | 'pod' | null {
  if (HEX40.test(token)) return 'id';
  const hp = HOST_PORT.exec(token);
  if (hp) {
    const port = Number(hp[1]);
    return port >= 1 && port <= 65535 && !token.startsWith(':') ? 'addr' : null;
  }
  if (HEX_PREFIX.test(token)) return 'id-prefix';
  if (DNS1123.test(token)) return 'pod';
  return null;
}

/** Levenshtein distance, bounded work (inputs are short words). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

/** The closest candidate within a distance that scales with length, or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length === 0 || w.length > 40) return undefined;
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.startsWith(w) && w.length >= 3 ? 0.5 : editDistance(w, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const allowed = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  return bestD <= allowed ? best : undefined;
}

/** Shows a token the user typed, shortened and without backticks that would break the mrkdwn quote. */
export function quote(token: string): string {
  const clean = token
    .replace(/[`\r\n\t]/g, ' ')
    .replace(/[<>&]/g, (c) => (c === '<' ? '‹' : c === '>' ? '›' : '+'));
  return `"${clean.length > 40 ? `${clean.slice(0, 40)}…` : clean}"`;
}
