/** Reads the text after `/redis` into an Intent; the grammar, usage lines and word helpers are in grammar.ts. */
import {
  ACCEPT_DATA_LOSS,
  ALIASES,
  type ChaosAction,
  ChaosActions,
  classifyNodeRef,
  closest,
  clusterName,
  DNS1123,
  type IntentKind,
  intentSchema,
  MAX_TEXT,
  NODE_HELP,
  type ParseIntentResult,
  planId,
  quote,
  SUB_COMMAND_SET,
  SUB_COMMANDS,
  SWITCHES,
  USAGE,
} from './grammar.ts';

export {
  type ChaosAction,
  ChaosActions,
  classifyNodeRef,
  closest,
  editDistance,
  type Intent,
  type IntentKind,
  intentSchema,
  NODE_HELP,
  type ParseIntentResult,
  quote,
  SUB_COMMANDS,
  USAGE,
} from './grammar.ts';

function usageOf(kind?: IntentKind): string {
  if (kind) {
    const u = USAGE[kind].usage;
    return ['failover', 'forget', 'join'].includes(kind) ? `${u}\n${NODE_HELP}` : u;
  }
  return SUB_COMMANDS.filter((k) => k !== 'chaos')
    .map((k) => USAGE[k].usage)
    .join('\n');
}

type Fail = Extract<ParseIntentResult, { ok: false }>;

function fail(error: string, kind?: IntentKind, suggestion?: string): Fail {
  const r: Fail = { ok: false, error, usage: usageOf(kind) };
  if (kind) r.command = kind;
  if (suggestion) r.suggestion = suggestion;
  return r;
}

/** Pulls `--cluster <name>`, `--cluster=<name>`, `-c <name>` out of the tokens. */
function extractCluster(tokens: string[]): { rest: string[]; cluster?: string; error?: string } {
  const rest: string[] = [];
  let cluster: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const lower = t.toLowerCase();
    let value: string | undefined;
    if (lower === '--cluster' || lower === '-c') {
      value = tokens[i + 1];
      i++;
      if (value === undefined) return { rest, error: `${t} needs a cluster name after it` };
    } else if (lower.startsWith('--cluster=')) {
      value = t.slice('--cluster='.length);
      if (!value) return { rest, error: '--cluster= needs a cluster name after it' };
    } else {
      rest.push(t);
      continue;
    }
    if (cluster !== undefined && cluster !== value.toLowerCase())
      return { rest, error: 'the cluster is given twice, with different names' };
    cluster = value.toLowerCase();
  }
  return cluster === undefined ? { rest } : { rest, cluster };
}

function checkCluster(name: string | undefined, kind: IntentKind): Fail | undefined {
  if (name === undefined) return undefined;
  if (!clusterName.safeParse(name).success)
    return fail(`${quote(name)} is not a cluster name (lowercase letters, digits and -)`, kind);
  return undefined;
}

function checkNode(token: string | undefined, kind: IntentKind, what = '<node>'): Fail | string {
  if (token === undefined) return fail(`${what} is missing`, kind);
  if (!classifyNodeRef(token)) {
    return fail(
      `${quote(token)} is not a ${what}: expected a node id, an id prefix of 6+ hex characters, host:port or a pod name`,
      kind,
    );
  }
  return token;
}

function tooMany(kind: IntentKind, extra: string[]): Fail {
  return fail(`unexpected ${extra.length === 1 ? 'word' : 'words'} ${extra.map(quote).join(' ')}`, kind);
}

/** Why `args` is not exactly one plan id (cancel, timeline), or undefined when it is. */
function notOnePlanId(args: string[], kind: IntentKind): Fail | undefined {
  const plan = args[0];
  if (plan === undefined) return fail('<plan-id> is missing (see /redis plans)', kind);
  if (!planId.safeParse(plan).success)
    return fail(`${quote(plan)} is not a plan id (see /redis plans)`, kind);
  if (args.length > 1) return tooMany(kind, args.slice(1));
  return undefined;
}

function finish(candidate: unknown, kind: IntentKind): ParseIntentResult {
  const parsed = intentSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, intent: parsed.data };
  const issue = parsed.error.issues[0];
  return fail(
    `could not read the command (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    kind,
  );
}

/**
 * Parses the text after `/redis`. Bad input is a result, never an exception; an exception is a bug of the
 * parser and propagates (the chat boundary answers "something went wrong" and logs it), so the fuzz test sees it.
 */
export function parseIntent(text: unknown): ParseIntentResult {
  return parseIntentUnsafe(typeof text === 'string' ? text : '');
}

function parseIntentUnsafe(raw: string): ParseIntentResult {
  if (raw.length > MAX_TEXT)
    return fail(`the command is too long (${raw.length} characters, at most ${MAX_TEXT})`);
  // Slack may send non-breaking spaces and smart dashes from phones.
  let text = raw
    .replace(/[\u00a0\u2000-\u200b\u3000]/g, ' ')
    .replace(/[\u2013\u2014]/g, '--')
    .trim();
  if (/^\/redis(\s|$)/i.test(text)) text = text.slice(6).trim();
  if (text === '') return { ok: true, intent: { kind: 'help' } };
  const all = text.split(/\s+/).filter(Boolean);
  const head = (all[0] ?? '').toLowerCase();
  const kind: IntentKind | undefined = SUB_COMMAND_SET.has(head) ? (head as IntentKind) : ALIASES.get(head);
  if (!kind) return unknownSubCommand(head, all[0] ?? '');
  const words = readWords(kind, all.slice(1));
  if ('ok' in words) return words;
  return SUB_COMMAND_PARSERS[kind](words, kind);
}

function unknownSubCommand(head: string, typed: string): Fail {
  // Votes are buttons, never typed: a typed approval could not show the plan, its risk or its commands.
  if (/^(approve|approved|reject|lgtm|ok|yes|no)$/.test(head))
    return fail(
      `plans are approved or rejected with the Approve / Reject buttons on the plan message, not by typing "${head}" (in the console, type the button's number). /redis plans lists the open plans`,
    );
  const suggestion = closest(head, [...SUB_COMMANDS, 'replica-of']);
  const s = suggestion === 'replica-of' ? undefined : suggestion;
  return fail(`unknown sub-command ${quote(typed)}`, undefined, s ? `/redis ${s}` : undefined);
}

/** The words after the sub-command: its positional arguments, its switches and the cluster. */
interface Words {
  args: string[];
  switches: Set<string>;
  cluster: string | undefined;
  /** `{ markdown: true }` when the switch `--markdown` was given, else {}. */
  on(sw: string): Record<string, true>;
  /** The intent with the cluster, when one was given. */
  withCluster<T extends object>(o: T): T | (T & { cluster: string });
}

function readWords(kind: IntentKind, tokens: string[]): Words | Fail {
  const ex = extractCluster(tokens);
  if (ex.error) return fail(ex.error, kind);
  const bad = checkCluster(ex.cluster, kind);
  if (bad) return bad;
  // Switches a sub-command knows (`--private`, `--markdown`): taken out before unknown flags are refused.
  const switches = new Set(
    ex.rest.map((a) => a.toLowerCase()).filter((a) => SWITCHES[kind]?.includes(a) ?? false),
  );
  const args = ex.rest.filter((a) => !switches.has(a.toLowerCase()));
  const cluster = ex.cluster;
  // Flags we do not know are refused, so that a typo is never read as a node name.
  const flag = args.find((a) => a.startsWith('-') && a.length > 1);
  if (flag) {
    const known = ['cluster', ...(SWITCHES[kind] ?? []).map((sw) => sw.slice(2))];
    const s = closest(flag.replace(/^-+/, ''), known);
    return fail(
      `unknown option ${quote(flag)}`,
      kind,
      s ? (s === 'cluster' ? '--cluster <name>' : `--${s}`) : undefined,
    );
  }
  return {
    args,
    switches,
    cluster,
    on: (sw) => (switches.has(sw) ? { [sw.slice(2)]: true as const } : {}),
    withCluster: (o) => (cluster ? { ...o, cluster } : o),
  };
}

type SubCommandParser = (w: Words, kind: IntentKind) => ParseIntentResult;

/** One parser per sub-command: the compiler checks that every kind has one. */
const SUB_COMMAND_PARSERS: Record<IntentKind, SubCommandParser> = {
  help: parseHelp,
  status: parseClusterScoped,
  diagnose: parseClusterScoped,
  plans: parseClusterScoped,
  clusters: ({ args, cluster }, kind) => {
    if (args.length > 0) return tooMany(kind, args);
    if (cluster) return fail('clusters lists every cluster: it takes no --cluster', kind);
    return finish({ kind }, kind);
  },
  failover: parseFailover,
  forget: ({ args, withCluster }, kind) => {
    const node = checkNode(args[0], kind);
    if (typeof node !== 'string') return node;
    if (args.length > 1) return tooMany(kind, args.slice(1));
    return finish(withCluster({ kind, node }), kind);
  },
  join: parseJoin,
  restart: ({ args, withCluster }, kind) => {
    const pod = args[0];
    if (pod === undefined) return fail('<pod> is missing', kind);
    if (!DNS1123.test(pod))
      return fail(`${quote(pod)} is not a pod name (lowercase letters, digits and -, at most 63)`, kind);
    if (args.length > 1) return tooMany(kind, args.slice(1));
    return finish(withCluster({ kind, pod }), kind);
  },
  cancel: ({ args, withCluster }, kind) =>
    notOnePlanId(args, kind) ?? finish(withCluster({ kind, plan: args[0] }), kind),
  audit: parseAudit,
  timeline: ({ args, withCluster, on }, kind) =>
    notOnePlanId(args, kind) ?? finish(withCluster({ kind, plan: args[0], ...on('--markdown') }), kind),
  chaos: parseChaos,
};

function parseHelp({ args }: Words, kind: IntentKind): ParseIntentResult {
  if (args.length > 1) return tooMany(kind, args.slice(1));
  const topic = args[0]?.toLowerCase();
  if (topic === undefined) return { ok: true, intent: { kind: 'help' } };
  const t = SUB_COMMAND_SET.has(topic) ? topic : ALIASES.get(topic);
  if (!t) {
    const s = closest(topic, SUB_COMMANDS);
    return fail(`there is no sub-command ${quote(topic)}`, kind, s ? `/redis help ${s}` : undefined);
  }
  return { ok: true, intent: { kind: 'help', topic: t } };
}

/** `status`, `diagnose`, `plans`: the cluster may also be the only positional argument. */
function parseClusterScoped({ args, cluster, switches, on }: Words, kind: IntentKind): ParseIntentResult {
  if (args.length > 1) return tooMany(kind, args.slice(1));
  const positional = args[0]?.toLowerCase();
  if (positional !== undefined) {
    const b = checkCluster(positional, kind);
    if (b) return b;
    if (cluster !== undefined && cluster !== positional)
      return fail('the cluster is given twice, with different names', kind);
  }
  const c = positional ?? cluster;
  const accept =
    kind === 'diagnose' && switches.has(ACCEPT_DATA_LOSS) ? { acceptDataLoss: true as const } : {};
  return finish({ kind, ...(c ? { cluster: c } : {}), ...on('--private'), ...accept }, kind);
}

function parseFailover({ args, withCluster }: Words, kind: IntentKind): ParseIntentResult {
  const node = checkNode(args[0], kind);
  if (typeof node !== 'string') return node;
  let mode: 'default' | 'force' | 'takeover' = 'default';
  const m = args[1]?.toLowerCase();
  if (m !== undefined) {
    if (m === 'force' || m === 'takeover' || m === 'default') mode = m;
    else {
      const s = closest(m, ['force', 'takeover']);
      return fail(
        `${quote(args[1] ?? '')} is not a failover mode (force or takeover)`,
        kind,
        s ? `/redis failover ${node} ${s}` : undefined,
      );
    }
  }
  if (args.length > 2) return tooMany(kind, args.slice(2));
  return finish(withCluster({ kind, node, mode }), kind);
}

function parseJoin({ args, withCluster }: Words, kind: IntentKind): ParseIntentResult {
  const node = checkNode(args[0], kind);
  if (typeof node !== 'string') return node;
  if (args.length === 1) return finish(withCluster({ kind, node }), kind);
  const kw = (args[1] ?? '').toLowerCase();
  if (kw !== 'replica-of' && kw !== 'replicaof') {
    const s = closest(kw, ['replica-of']);
    return fail(
      `expected "replica-of <master>" after the node, got ${quote(args[1] ?? '')}`,
      kind,
      s ? `/redis join ${node} replica-of …` : undefined,
    );
  }
  const master = checkNode(args[2], kind, '<master>');
  if (typeof master !== 'string') return master;
  if (args.length > 3) return tooMany(kind, args.slice(3));
  return finish(withCluster({ kind, node, replicaOf: master }), kind);
}

function parseAudit({ args, withCluster }: Words, kind: IntentKind): ParseIntentResult {
  if (args.length > 1) return tooMany(kind, args.slice(1));
  const a = args[0];
  if (a === undefined) return finish(withCluster({ kind, n: 10 }), kind);
  if (/^\d+$/.test(a)) {
    const n = Number(a);
    if (n < 1 || n > 100) return fail(`n must be between 1 and 100, got ${quote(a)}`, kind);
    return finish(withCluster({ kind, n }), kind);
  }
  if (planId.safeParse(a).success) return finish(withCluster({ kind, n: 100, plan: a }), kind);
  return fail(`${quote(a)} is neither a number nor a plan id`, kind);
}

function parseChaos({ args, withCluster }: Words, kind: IntentKind): ParseIntentResult {
  const a = args[0]?.toLowerCase();
  if (a === undefined)
    return fail('which chaos? kill-master, replace-pod, freeze <node>, thaw, kill-majority or orphan', kind);
  if (!(ChaosActions as readonly string[]).includes(a)) {
    const s = closest(a, ChaosActions);
    return fail(`unknown chaos ${quote(args[0] ?? '')}`, kind, s ? `/redis chaos ${s}` : undefined);
  }
  const action = a as ChaosAction;
  if (action === 'freeze') {
    const node = checkNode(args[1], kind);
    if (typeof node !== 'string') return node;
    if (args.length > 2) return tooMany(kind, args.slice(2));
    return finish(withCluster({ kind, action, node }), kind);
  }
  if (action === 'thaw' && args.length === 2) {
    const node = checkNode(args[1], kind);
    if (typeof node !== 'string') return node;
    return finish(withCluster({ kind, action, node }), kind);
  }
  if (args.length > 1) return tooMany(kind, args.slice(1));
  return finish(withCluster({ kind, action }), kind);
}
