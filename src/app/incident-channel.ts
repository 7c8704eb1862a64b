/**
 * Where the bot speaks first about a cluster (issue 19): the cluster's own channel (the first of its
 * `channels:` in the clusters file), else WATCH_CHANNEL. These are also the channels whose Approve clicks the
 * bot must accept, since it posted the plans there itself.
 */
import { CodedError, ErrorCodes } from '../core/errors.ts';
import type { ClusterDefinition } from '../core/ports.ts';

/** The channel of `def`'s alerts and incidents, or undefined when it has none and there is no fallback. */
export function incidentChannel(
  def: Pick<ClusterDefinition, 'channels'>,
  fallback: string | undefined,
): string | undefined {
  return def.channels?.[0] ?? fallback;
}

/** Every channel the bot posts incidents or alerts in on its own, for these clusters. */
export function incidentChannels(
  defs: readonly Pick<ClusterDefinition, 'channels'>[],
  fallback: string | undefined,
): string[] {
  const ids = defs.map((d) => incidentChannel(d, fallback)).filter((c): c is string => c !== undefined);
  return [...new Set(fallback ? [...ids, fallback] : ids)];
}

/**
 * With ALERTMANAGER_TOKEN set, every cluster needs somewhere to post: its channel or WATCH_CHANNEL. Throws
 * CONFIG_INVALID naming the clusters without either (checked once the clusters file is read).
 */
export function assertAlertChannels(
  defs: readonly Pick<ClusterDefinition, 'name' | 'channels'>[],
  fallback: string | undefined,
): void {
  const homeless = defs.filter((d) => incidentChannel(d, fallback) === undefined).map((d) => d.name);
  if (homeless.length === 0) return;
  throw new CodedError(
    ErrorCodes.ConfigInvalid,
    `WATCH_CHANNEL: required when ALERTMANAGER_TOKEN is set and a cluster has no channels in CLUSTERS_FILE (where its alerts are posted): ${homeless.join(', ')}`,
  );
}
