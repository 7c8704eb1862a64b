/**
 * What `/readyz` says for each role. The bot stays ready while the control Redis is down (status, diagnose and
 * help still answer; approvals and plans say they cannot be recorded), so a blip never takes it out of its
 * Service; a worker is ready only when it can take jobs from the control Redis.
 */
import type { Config } from './config.ts';
import type { Readiness } from './http/ops-routes.ts';

/** Settings that start fine but leave part of the bot useless: logged at start and shown by `/readyz`. */
export function settingWarnings(config: Pick<Config, 'ROLE' | 'APPROVERS'>): string[] {
  if (config.ROLE === 'worker' || config.APPROVERS.length > 0) return [];
  return ['APPROVERS is empty: nobody can approve a plan (set APPROVERS to Slack user ids, U… or W…)'];
}

export function createReadiness(opts: {
  role: Config['ROLE'];
  warnings: string[];
  controlHealthy: () => Promise<boolean>;
}): () => Promise<Readiness> {
  return async () => {
    const up = await opts.controlHealthy().catch(() => false);
    const degraded = up
      ? []
      : [
          opts.role === 'worker'
            ? 'control Redis down: this worker cannot take plans until it answers'
            : 'control Redis down: status, diagnose and help answer; approvals and plans cannot be recorded',
        ];
    return {
      ready: opts.role === 'worker' ? up : true,
      controlRedis: up ? 'up' : 'down',
      warnings: [...degraded, ...opts.warnings],
    };
  };
}
