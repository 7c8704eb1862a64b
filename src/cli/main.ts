import { type CliIo, runStatus, STATUS_USAGE } from './status.ts';

export const USAGE = `usage: redis-medic <command> [options]

commands:
  status     show the cluster's state, its masters and replicas, and what is wrong with it
  diagnose   findings plus the recovery plan redis-medic would propose
  timeline   a plan's story for the postmortem (--markdown to paste)
  audit      the audit trail since a time ago (--since 7d --json to export)
  help       this text

${STATUS_USAGE}`;

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** The CLI entry: dispatches on the sub-command and returns the exit code (2 for unknown commands). */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'status':
      return runStatus(rest, io);
    case 'diagnose':
      // Its planner and executor load only for this verb.
      return (await import('./diagnose.ts')).runDiagnose(rest, io);
    // Loaded on demand: they need the control Redis clients, status and diagnose do not.
    case 'timeline':
      return (await import('./timeline.ts')).runTimeline(rest, io);
    case 'audit':
      return (await import('./timeline.ts')).runAuditExport(rest, io);
    case 'help':
    case '--help':
    case '-h':
      io.stdout(`${USAGE}\n`);
      return 0;
    default:
      io.stderr(
        `${command ? `redis-medic: unknown command "${command}"` : 'redis-medic: no command'}\n${USAGE}\n`,
      );
      return 2;
  }
}
