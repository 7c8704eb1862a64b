import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The process-wide Prometheus registry served on GET /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'redis_medic_' });

export const commandsTotal = new Counter({
  name: 'redis_medic_commands_total',
  help: 'Slash commands received, by sub-command and outcome',
  labelNames: ['command', 'outcome'] as const,
  registers: [registry],
});

export const plansTotal = new Counter({
  name: 'redis_medic_plans_total',
  help: 'Plans by final outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const stepDuration = new Histogram({
  name: 'redis_medic_step_duration_seconds',
  help: 'Plan step duration, by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
  registers: [registry],
});

export const scanDuration = new Histogram({
  name: 'redis_medic_scan_duration_seconds',
  help: 'Topology scan duration',
  labelNames: ['cluster'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
  registers: [registry],
});
