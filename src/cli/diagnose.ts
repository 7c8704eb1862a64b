/**
 * `redis-medic diagnose`: findings plus the recovery plan with the exact commands it would send (the dry
 * run); with `--execute --yes` it runs the plan and prints each step as it goes.
 */

import { parseArgs } from 'node:util';
import { createNodeCommander } from '../adapters/redis/node-commander.ts';
import { createTopologySource } from '../adapters/redis/scanner.ts';
import { assessKeysAtRisk } from '../app/keys-at-risk.ts';
import { executePlan } from '../app/run/executor.ts';
import { ErrorCodes } from '../core/errors.ts';
import { planForFindings } from '../core/plans/planner.ts';
import {
  type ClusterDefinition,
  type NodeCommander,
  systemClock,
  type TopologySource,
} from '../core/ports.ts';
import { formatKeysAtRisk } from '../core/risk/format.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { ExecEvent, Finding, Plan } from '../core/types.ts';
import { cliTarget } from './credentials.ts';
import { unreachableMessage } from './format-status.ts';
import { type CliIo, seedsFrom, splitList, TARGET_OPTIONS } from './status.ts';

export const DIAGNOSE_USAGE = `usage: redis-medic diagnose --nodes host:port[,host:port…] [--password-file path] [--user …] [--timeout ms] [--extra host:port,…] [--json] [--accept-data-loss] [--execute --yes [--break-glass "<reason>"]]

  --nodes         seed addresses (default: $REDIS_CLUSTER_NODES)
  --password-file a file holding the ACL password (default: $REDIS_PASSWORD; --password is refused: arguments show in ps)
  --user          ACL user name (default: $REDIS_USERNAME)
  --timeout       per-node timeout in ms (default 1000)
  --extra         more addresses to ask, e.g. pod IPs; live ones outside the cluster can be joined
  --json          print { findings, plan } (or { findings, nothing }) as JSON
  --accept-data-loss  also propose plans that drop keys: a master and all its replicas gone for good
                  (their slots go, empty, to a live master); without it the answer is "bring it back"
  --execute       run the plan (needs --yes): each step re-checks the cluster first and stops if it moved on
  --yes           confirm --execute. It takes the cluster lock and writes the audit in the control Redis
                  (CONTROL_REDIS_URL), as a plan run by the bot does
  --break-glass   with NODE_ENV=production, --execute needs a reason: it is audited and posted to the
                  cluster's Slack channel (when SLACK_BOT_TOKEN is set)
  --wait-timeout  deadline of each wait inside a step, ms (default 60000)

exit code: 0 nothing to do (or the plan succeeded), 1 a plan is proposed (or it stopped / failed), 2 could not reach the cluster or bad arguments`;

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

export function formatPlan(plan: Plan): string {
  const lines = [
    `Plan ${plan.id}: ${plan.title}`,
    `  risk ${plan.risk} · ${plan.approvalsNeeded} approver(s) · ${plan.steps.length} step(s) · made from topology ${plan.fingerprint}`,
  ];
  if (plan.keysAtRisk) lines.push(`  keys at risk: ${formatKeysAtRisk(plan.keysAtRisk)}`);
  plan.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. [${s.risk}] ${s.sentence}`);
    if (s.keysAtRisk) lines.push(`       (${formatKeysAtRisk(s.keysAtRisk)})`);
    for (const c of s.commands) lines.push(`       ${c}`);
  });
  return `${lines.join('\n')}\n`;
}

export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  return `${findings.map((f) => `  ${f.severity.padEnd(8)} ${f.code.padEnd(24)} ${f.summary}`).join('\n')}\n`;
}

export function formatEvent(e: ExecEvent, total: number): string {
  const where = e.step >= 0 ? `step ${e.step + 1}/${total}` : 'plan';
  const ms = e.ms !== undefined ? ` in ${e.ms} ms` : '';
  const figures =
    e.metrics && Object.keys(e.metrics).length > 0
      ? ` (${Object.entries(e.metrics)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')})`
      : '';
  const status = e.status ? ` ${e.status}` : '';
  return `${where} ${e.kind}${status}${ms}: ${e.detail}${e.kind === 'done' || e.kind === 'finished' ? figures : ''}\n`;
}

interface DiagnoseValues {
  nodes?: string;
  password?: string;
  user?: string;
  timeout?: string;
  extra?: string;
  cluster?: string;
  json?: boolean;
  execute?: boolean;
  yes?: boolean;
  'wait-timeout'?: string;
  'accept-data-loss'?: boolean;
  'password-file'?: string;
  'break-glass'?: string;
  help?: boolean;
}

interface DiagnoseArgs {
  values: DiagnoseValues;
  def: ClusterDefinition;
  timeoutMs: number;
  waitTimeoutMs: number;
}

type PlanOutcomeWithRisk =
  | { ok: true; plan: Plan }
  | Exclude<ReturnType<typeof planForFindings>, { ok: true }>;

/** The arguments of `diagnose`, or the exit code when they end it (help, bad arguments). */
function readDiagnoseArgs(argv: string[], io: CliIo): DiagnoseArgs | number {
  let values: DiagnoseValues;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...TARGET_OPTIONS,
        execute: { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        'wait-timeout': { type: 'string' },
        'accept-data-loss': { type: 'boolean', default: false },
        'break-glass': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    io.stderr(
      `redis-medic diagnose: ${err instanceof Error ? err.message : String(err)}\n${DIAGNOSE_USAGE}\n`,
    );
    return 2;
  }
  if (values.help) {
    io.stdout(`${DIAGNOSE_USAGE}\n`);
    return 0;
  }
  const parsedSeeds = seedsFrom(values.nodes, io.env);
  if (!parsedSeeds.ok) {
    io.stderr(`redis-medic diagnose: ${parsedSeeds.why}\n${DIAGNOSE_USAGE}\n`);
    return 2;
  }
  if (values.execute && !values.yes) {
    io.stderr('redis-medic diagnose: --execute changes the cluster; add --yes to confirm\n');
    return 2;
  }
  const numberOpt = (name: string, v: string | undefined, def: number): number | undefined => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) {
      io.stderr(`redis-medic diagnose: --${name} must be a positive number of milliseconds\n`);
      return undefined;
    }
    return n;
  };
  const timeoutMs = numberOpt('timeout', values.timeout, 1000);
  const waitTimeoutMs = numberOpt('wait-timeout', values['wait-timeout'], 60_000);
  if (timeoutMs === undefined || waitTimeoutMs === undefined) return 2;
  const target = cliTarget(values, parsedSeeds.seeds, io.env);
  if (!target.ok) {
    io.stderr(`redis-medic diagnose: ${target.why}\n`);
    return 2;
  }
  return { values, def: target.def, timeoutMs, waitTimeoutMs };
}

/**
 * Prints the findings and the plan (or why there is none); returns the exit code, or `undefined` when the
 * plan is to be executed.
 */
function printOutcome(
  values: DiagnoseValues,
  clusterName: string,
  findings: Finding[],
  outcome: PlanOutcomeWithRisk,
  io: CliIo,
): number | undefined {
  // 0 only when there is truly nothing to do; "wait, gossip is settling" or "no safe plan" still needs a person.
  // "Nothing to do" never with a critical finding open: a dead shard with no safe plan is not all-clear.
  const wrong = findings.some((f) => f.severity === 'critical');
  const noPlanExit = !outcome.ok && outcome.code === ErrorCodes.NothingToDo && !wrong ? 0 : 1;
  if (values.json && !values.execute) {
    const body = outcome.ok
      ? { findings, plan: outcome.plan }
      : { findings, nothing: { code: outcome.code, reason: outcome.reason } };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    return outcome.ok ? 1 : noPlanExit;
  }
  if (values.json) {
    // --json --execute: the plan as one JSON line, then one JSON line per event.
    io.stdout(
      `${JSON.stringify(outcome.ok ? { findings, plan: outcome.plan } : { findings, nothing: outcome })}\n`,
    );
    if (!outcome.ok) return noPlanExit;
  } else {
    io.stdout(`Cluster ${clusterName}: ${findings.length} finding(s)\n${formatFindings(findings)}`);
    if (!outcome.ok) {
      io.stdout(`${noPlanExit === 0 ? 'Nothing to do' : 'No plan'}: ${outcome.reason}\n`);
      return noPlanExit;
    }
    io.stdout(formatPlan(outcome.plan));
  }
  return values.execute ? undefined : 1;
}

/** `--execute --yes`: runs the plan under the CLI guard (cluster lock, audit), printing each event. */
async function executeGuarded(
  plan: Plan,
  deps: { source: TopologySource; commander: NodeCommander },
  args: DiagnoseArgs,
  io: CliIo,
): Promise<number> {
  const { values, waitTimeoutMs } = args;
  // Loaded only for --execute: plain status / diagnose stay quick to start.
  const { guardExecute } = await import('./execute-guard.ts');
  const guarded = await guardExecute({
    plan,
    env: io.env,
    ...(values['break-glass'] !== undefined ? { breakGlass: values['break-glass'] } : {}),
    say: (line) => io.stderr(`redis-medic diagnose: ${line}\n`),
  });
  if (!guarded.ok) {
    io.stderr(`redis-medic diagnose: not run: ${guarded.why}\n`);
    return 2;
  }
  let result: Awaited<ReturnType<typeof executePlan>> | undefined;
  try {
    result = await executePlan(plan, {
      ...deps,
      clock: systemClock,
      waitTimeoutMs,
      reporter: {
        emit: (e) => {
          if (values.json) io.stdout(`${JSON.stringify(e)}\n`);
          else io.stdout(formatEvent(e, plan.steps.length));
        },
      },
    });
  } finally {
    await guarded.guard.release(
      result
        ? { status: result.status, detail: result.detail }
        : { status: 'failed', detail: 'the run stopped on an error' },
    );
  }
  return result.status === 'succeeded' ? 0 : 1;
}

/** `redis-medic diagnose …` — returns the exit code. */
export async function runDiagnose(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const args = readDiagnoseArgs(argv, io);
  if (typeof args === 'number') return args;
  const { values, def, timeoutMs } = args;
  const commander = createNodeCommander(def.auth, { timeoutMs });
  const source = createTopologySource(def, { timeoutMs, commander, extraAddrs: splitList(values.extra) });
  try {
    const topology = await source.scan();
    if (!topology.probes.some((p) => p.outcome === 'ok')) {
      io.stderr(unreachableMessage('diagnose', topology, def.seeds));
      return 2;
    }
    const findings = analyzeTopology(topology);
    const planned = planForFindings(topology, findings, {
      cluster: def.name,
      requestedBy: `cli:${io.env.USER ?? 'operator'}`,
      now: systemClock.now(),
      ttlMs: 15 * 60_000,
      ...(values['accept-data-loss'] ? { acceptDataLoss: true } : {}),
    });
    const outcome: PlanOutcomeWithRisk = planned.ok
      ? { ok: true as const, plan: await assessKeysAtRisk(planned.plan, topology, commander) }
      : planned;
    const shown = printOutcome(values, def.name, findings, outcome, io);
    if (shown !== undefined || !outcome.ok) return shown ?? 1;
    return await executeGuarded(outcome.plan, { source, commander }, args, io);
  } catch (err) {
    io.stderr(`redis-medic diagnose: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof Error &&
      'details' in err &&
      (err as { details?: { transient?: boolean } }).details?.transient
      ? 1
      : 2;
  } finally {
    await commander.close();
  }
}
