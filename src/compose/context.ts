/** What every part is built with: the config, the loggers, the clock, the key prefix and the closers. */
import type { Config } from '../config.ts';
import type { Clock } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import type { Closers } from './closers.ts';
import type { ComposeExtra } from './types.ts';

export interface PartsContext {
  config: Config;
  /** The app's logger, handed to the services. */
  logger: Logger;
  /** The composition's own log (component compose). */
  log: Logger;
  clock: Clock;
  prefix: string;
  extra: ComposeExtra;
  closers: Closers;
}
