/** The secret values of a configuration, for the logger's last-net scrubber (src/logger.ts). */
import { clusterDefinitionsFromConfig } from './clusters-file.ts';
import type { Config } from './config.ts';

export function secretValues(config: Config): string[] {
  const out = [
    config.SLACK_BOT_TOKEN,
    config.SLACK_APP_TOKEN,
    config.SLACK_SIGNING_SECRET,
    config.REDIS_PASSWORD,
    config.APPROVAL_SECRET,
  ];
  try {
    const u = new URL(config.CONTROL_REDIS_URL);
    out.push(decodeURIComponent(u.password), u.password);
  } catch {
    // validated elsewhere
  }
  try {
    for (const d of clusterDefinitionsFromConfig(config)) out.push(d.auth.password);
  } catch {
    // a bad clusters file is reported when the app is composed
  }
  return out.filter((s): s is string => typeof s === 'string' && s.length > 0);
}
