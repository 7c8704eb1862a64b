/**
 * `npm start`: redis-medic as configured by the environment.
 *   ROLE=all (default) | bot | worker;  SLACK_MODE=http | socket, unset: the console chat.
 * A bad configuration is printed one problem per line, then the process exits with 1.
 */
import { pathToFileURL } from 'node:url';
import { type RunningApp, type StartOptions, startServerRole } from './compose/roles/server.ts';
import { type Config, loadConfig } from './config.ts';
import { CodedError } from './core/errors.ts';
import { loadDotEnv } from './env-file.ts';
import { createLogger } from './logger.ts';
import { secretValues } from './secret-values.ts';

/** The configuration could not be used: one line per problem, naming the variable (never its value). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type { RunningApp, StartOptions };

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

/**
 * Starts the Slack bot and/or the worker (not the console: see `main`). Used by `npm start` and by the e2e
 * tests, so they run the app exactly as production does.
 */
export async function startApp(
  env: NodeJS.ProcessEnv = process.env,
  opts: StartOptions = {},
): Promise<RunningApp> {
  const config = configFromEnv(env);
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, undefined, { secrets: secretValues(config) });
  return startServerRole(config, logger, opts);
}

/** The process entry: prints configuration problems one per line and exits 1; stops cleanly on SIGINT / SIGTERM. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: Config;
  try {
    config = configFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${p}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL, undefined, { secrets: secretValues(config) });
  const cannotStart = (err: unknown) => {
    const e = err instanceof CodedError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`redis-medic could not start: ${e}\n`);
    return 1;
  };
  if (!config.SLACK_MODE && config.ROLE !== 'worker') {
    const { startConsoleApp } = await import('./console-app.ts');
    try {
      return await startConsoleApp(config, logger);
    } catch (err) {
      if (err instanceof CodedError) return cannotStart(err);
      throw err;
    }
  }
  let app: RunningApp;
  try {
    app = await startApp(env, { logger });
  } catch (err) {
    return cannotStart(err);
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      app.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  loadDotEnv();
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      // A raw Redis reply reaching here comes from the control Redis (target errors are CodedErrors).
      const refused = /^(NOAUTH|WRONGPASS)\b/.test((err as Error)?.message ?? '');
      const what = refused
        ? 'the control Redis refused our credentials (the password in CONTROL_REDIS_URL): '
        : '';
      process.stderr.write(`redis-medic: ${what}${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
