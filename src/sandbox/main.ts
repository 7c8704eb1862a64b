/**
 * `npm run sandbox`: a real Redis Cluster on this machine and the bot driving it through the console, no Slack, no
 * Kubernetes; `--script <file|->` reads the lines instead of the keyboard. On exit every process it started is stopped.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { runConsole } from '../adapters/console/console.ts';
import { shouldColor } from '../adapters/console/render-text.ts';
import type { ComposedApp } from '../compose/types.ts';
import { errFields, type Logger, REDACT_PATHS } from '../logger.ts';
import { chaosMessage, createChaos, createSandboxPods } from './chaos.ts';
import {
  type LocalCluster,
  type LocalRedis,
  setPortRange,
  startLocalCluster,
  startRedis,
} from './local-cluster.ts';
import { sandboxCommands } from './script.ts';

/** Three approvers: a takeover or fix-slots plan needs two, and nobody approves their own plan. */
export const SANDBOX_USERS = { oncall: 'U0ONCALL', second: 'U0SECOND', third: 'U0THIRD' } as const;
export const SANDBOX_CHANNEL = 'C0SANDBOX';
export const SANDBOX_CLUSTER = 'sandbox';
/** Short enough that a failover is seen within seconds, long enough for a loaded laptop. */
const NODE_TIMEOUT_MS = 2000;

const USAGE = `usage: npm run sandbox [-- --script <file>|-]

  --script <file>   read commands from a file ("-": stdin), print the transcript, exit 1 if one fails
  --no-color        no ANSI colours (also NO_COLOR=1)
  --keep-dir        do not remove the temp dir at exit (logs, nodes.conf) — processes are still stopped
  --ports <a>-<b>   data ports of the local nodes (default 10000-21999; each bus port is +10000)`;

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      script: { type: 'string' },
      'no-color': { type: 'boolean' },
      'keep-dir': { type: 'boolean' },
      ports: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  return values;
}

type Cli = ReturnType<typeof parseCli>;

/** The command line, checked; or the exit code when it ends here (help, bad arguments). */
function readCli(argv: string[]): Cli | number {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.ports !== undefined) {
    const m = /^(\d{4,5})-(\d{4,5})$/.exec(cli.ports);
    try {
      if (!m) throw new Error('--ports: expected <first>-<last>, e.g. 15000-15749');
      setPortRange({ min: Number(m[1]), max: Number(m[2]) });
    } catch (err) {
      process.stderr.write(`sandbox: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
  }
  if (cli.script !== undefined && cli.script !== '-' && !existsSync(cli.script)) {
    process.stderr.write(`sandbox: no such script file: ${cli.script}\n`);
    return 2;
  }
  return cli;
}

/** What the sandbox started so far: stopped by `cleanup`, whatever point the start reached. */
interface Started {
  pids: Set<number>;
  control?: LocalRedis;
  cluster?: LocalCluster;
  app?: ComposedApp;
}

/** Stops everything started and removes the dir (once, however often it is called), then says so. */
function sandboxCleanup(
  started: Started,
  o: { dir: string; keepDir: boolean; logger: Logger; say: (text: string) => void },
): (why: string) => Promise<void> {
  let cleaning: Promise<void> | undefined;
  return (why) => {
    cleaning ??= (async () => {
      const { pids, app, control, cluster } = started;
      const withTimeout = <T>(p: Promise<T>, ms: number) =>
        Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);
      if (app)
        await withTimeout(
          app.close().catch((err) => o.logger.warn(errFields(err), 'app close failed')),
          8000,
        );
      for (const n of cluster?.all() ?? []) pids.add(n.pid);
      if (control) pids.add(control.node.pid);
      await Promise.allSettled([cluster?.stop(), control?.stop()]);
      o.logger.flush?.();
      if (!o.keepDir) rmSync(o.dir, { recursive: true, force: true });
      const list = [...pids].sort((a, b) => a - b).join(' ');
      o.say(
        `sandbox: ${why}; stopped ${pids.size} redis-server processes (pids ${list})${o.keepDir ? `; kept ${o.dir}` : `; removed ${o.dir}`}`,
      );
    })();
    return cleaning;
  };
}

/** A crash or a signal still stops everything (local-cluster also kills its processes on exit). */
function cleanupOnExit(cleanup: (why: string) => Promise<void>, dir: string, keepDir: boolean): void {
  const onSignal = (sig: NodeJS.Signals) => {
    void cleanup(`got ${sig}`).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const onCrash = (err: unknown) => {
    process.stderr.write(
      `sandbox: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    void cleanup('crashed').finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', () => {
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  });
}

/** The control Redis (AOF on) and 3 masters + 3 replicas + 2 spares, started side by side in `dir`. */
async function startNodes(
  dir: string,
  started: Started,
): Promise<{ control: LocalRedis; cluster: LocalCluster }> {
  const [control, cluster] = await Promise.all([
    startRedis({
      appendonly: true,
      dir: join(dir, 'control'),
      extraConfig: ['maxmemory-policy noeviction'],
    }),
    startLocalCluster({
      masters: 3,
      replicasPerMaster: 1,
      spares: 2,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
      // AOF on: a healthy start has no "master without persistence" warning, and `revive` keeps the data.
      extraConfig: ['appendonly yes'],
      dir: join(dir, 'cluster'),
    }),
  ]);
  started.control = control;
  started.cluster = cluster;
  started.pids.add(control.node.pid);
  for (const n of cluster.all()) started.pids.add(n.pid);
  return { control, cluster };
}

/** Prints the failed lines of a script and the tail of the app log. */
function reportFailures(failures: string[], logFile: string, say: (text: string) => void): void {
  say(`sandbox: ${failures.length} line(s) failed:\n  ${failures.join('\n  ')}`);
  const tail = existsSync(logFile)
    ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n')
    : '';
  if (tail) process.stderr.write(`--- last lines of the app log ---\n${tail}\n`);
}

async function main(): Promise<number> {
  const cli = readCli(process.argv.slice(2));
  if (typeof cli === 'number') return cli;
  const scripted = cli.script !== undefined;
  const keepDir = cli['keep-dir'] === true;
  const out = process.stdout;
  const color = !cli['no-color'] && shouldColor(out);
  const say = (text: string) => out.write(`${text}\n`);
  const t0 = Date.now();

  const dir = mkdtempSync(join(tmpdir(), 'redis-medic-sandbox-'));
  const logFile = join(dir, 'redis-medic.log');
  const logger: Logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: logFile, sync: true }),
  );
  const started: Started = { pids: new Set<number>() };
  const cleanup = sandboxCleanup(started, { dir, keepDir, logger, say });
  cleanupOnExit(cleanup, dir, keepDir);

  try {
    say(`sandbox: starting a control Redis and 8 cluster nodes in ${dir} …`);
    // The app's modules (Bolt, the Kubernetes client, BullMQ) take seconds to load: load them meanwhile.
    const composeModule = import('../compose/roles/sandbox.ts');
    composeModule.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const { control, cluster } = await startNodes(dir, started);

    // The "pod list": the members' addresses, shared by reference with the cluster definition.
    const seeds = cluster.addrs();
    const pods = createSandboxPods(seeds);
    const chaos = createChaos({
      cluster,
      pods,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
      onProcess: (n) => started.pids.add(n.pid),
    });
    const { composeSandbox } = await composeModule;
    const { app, chatPort, chatService } = await composeSandbox({
      controlUrl: control.url,
      cluster: { name: SANDBOX_CLUSTER, seeds, auth: {} },
      channel: SANDBOX_CHANNEL,
      approvers: Object.values(SANDBOX_USERS),
      chaos,
      color,
      width: out.columns || 100,
      logger,
    });
    started.app = app;
    say(welcome({ cluster, control, ms: Date.now() - t0, logFile, scripted }));

    const input: Readable =
      !scripted || cli.script === '-' ? process.stdin : createReadStream(cli.script!, 'utf8');
    const result = await runConsole({
      chatService,
      chatPort,
      input,
      output: out,
      user: SANDBOX_USERS.oncall,
      channel: SANDBOX_CHANNEL,
      color,
      terminal: scripted ? false : undefined,
      stopOnFailure: scripted,
      extraCommands: sandboxCommands({ cluster, chaos, chatPort, channel: SANDBOX_CHANNEL, chaosMessage }),
    });
    if (result.failures.length > 0) reportFailures(result.failures, logFile, say);
    await cleanup(result.reason === 'interrupt' ? 'interrupted' : 'bye');
    return result.failures.length > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup('failed to start');
    return 1;
  }
}

function welcome(o: {
  cluster: LocalCluster;
  control: LocalRedis;
  ms: number;
  logFile: string;
  scripted: boolean;
}): string {
  const list = (ns: { addr: string }[]) => ns.map((n) => n.addr).join('  ');
  const lines = [
    `redis-medic sandbox: a real Redis Cluster on this machine, ready in ${(o.ms / 1000).toFixed(1)} s`,
    `  masters   ${list(o.cluster.masters())}`,
    `  replicas  ${list(o.cluster.replicas())}`,
    `  spares    ${list(o.cluster.spares)}   (not in the cluster)`,
    `  control Redis ${o.control.addr} (AOF on, pid ${o.control.node.pid}) · cluster-node-timeout ${NODE_TIMEOUT_MS} ms · app log ${o.logFile}`,
    `You are ${SANDBOX_USERS.oncall}. Approvers: ${Object.values(SANDBOX_USERS).join(', ')}; nobody approves their own plan, and a takeover needs two.`,
  ];
  if (!o.scripted)
    lines.push(
      'Try:',
      '  status                  the cluster as the bot sees it',
      '  chaos replace-pod       kill a master, start a fresh node in its place (write-ups 000, 004)',
      '  diagnose                findings, and a plan with [1] Approve  [2] Reject',
      `  /as ${SANDBOX_USERS.second}           become another approver (nobody approves their own plan)`,
      '  1                       press [1] Approve on the last plan, then answer y',
      '  wait-healthy            wait until Redis agrees the cluster is whole again',
      '  more: chaos kill-master | freeze master|replica|<node> | thaw | kill-majority | orphan,',
      `        revive [node], nodes; a takeover plan needs two approvers (/as ${SANDBOX_USERS.third} too);`,
      '        help (bot commands), ? (console keys), exit (or Ctrl-C): everything started is stopped',
    );
  return lines.join('\n');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
