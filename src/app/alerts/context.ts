import { Counter } from 'prom-client';
import type { PlanStore } from '../../core/plan-record.ts';
import type { Clock } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { registry } from '../../metrics.ts';
import type { ChatPort } from '../chat-port.ts';
import type { WatchPoster, WatchStore } from '../watch/ports.ts';
import type { AlertGroupStore } from './ports.ts';

/** Alertmanager notifications, by status and what the bot did with them. */
export const alertsTotal = new Counter({
  name: 'redis_medic_alerts_total',
  help: 'Alertmanager notifications received, by status and outcome (posted, repeat, unknown-cluster…)',
  labelNames: ['status', 'outcome'] as const,
  registers: [registry],
});

/** What the HTTP route answers. */
export interface AlertAnswer {
  status: number;
  text: string;
}

/** What handling a firing or resolved group needs. */
export interface AlertContext {
  /** The watcher's state: the open incident is shared with it. */
  watch: Pick<WatchStore, 'load' | 'setIncident'>;
  groups: AlertGroupStore;
  poster: WatchPoster;
  chat: ChatPort;
  store: PlanStore;
  /** Where a new incident goes when its cluster has no channel of its own (WATCH_CHANNEL). */
  channel?: string;
  scanTimeoutMs: number;
  clock: Clock;
  log: Logger;
}
