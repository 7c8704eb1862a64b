/**
 * `redis-medic diagnose --execute --yes` runs a plan without approval, so it goes through what a plan run by a
 * worker goes through: the cluster lock (no plan of the bot runs at the same time) and the audit (actor: the
 * OS user, via: cli). With NODE_ENV=production it needs `--break-glass "<reason>"`; the reason is audited and,
 * when Slack is configured, posted to the cluster's channel.
 */
import { userInfo } from 'node:os';
import { Redis } from 'ioredis';
import { createAuditLog } from '../adapters/store/audit.ts';
import { type ControlPlanStore, createPlanStore } from '../adapters/store/plan-store.ts';
import { loadClustersFile } from '../clusters-file.ts';
import { isLoopbackUrl } from '../config-security.ts';
import type { PlanResult } from '../core/plan-record.ts';
import type { Plan } from '../core/types.ts';

type Env = Record<string, string | undefined>;

export interface ExecuteGuard {
  /** Records the result, frees the cluster lock, closes the control connection. */
  release(result: Omit<PlanResult, 'finishedAt'>): Promise<void>;
}

const LOCK_TTL_MS = 10 * 60_000;

function osUser(env: Env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

/** Where the cluster's people are: its channel in CLUSTERS_FILE, else ALLOWED_CHANNELS, else WATCH_CHANNEL. */
function channelOf(cluster: string, env: Env): string | undefined {
  if (env.CLUSTERS_FILE) {
    try {
      const def = loadClustersFile(env.CLUSTERS_FILE, { env }).find((d) => d.name === cluster);
      if (def?.channels?.[0]) return def.channels[0];
    } catch {
      // the clusters file is for the bot; the CLI goes on with the other sources
    }
  }
  return env.ALLOWED_CHANNELS?.split(',')[0]?.trim() || env.WATCH_CHANNEL || undefined;
}

/** Posts the break-glass notice; returns why it could not, or null. */
async function postNotice(env: Env, channel: string, text: string): Promise<string | null> {
  const base = env.SLACK_API_URL ?? 'https://slack.com/api/';
  const url = new URL('chat.postMessage', base.endsWith('/') ? base : `${base}/`);
  if (url.protocol !== 'https:' && !isLoopbackUrl(url)) return 'SLACK_API_URL is not https';
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.SLACK_BOT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, text }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    return body.ok ? null : `Slack answered ${body.error ?? res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Takes the cluster lock for `plan` and writes the audit, or says why not (nothing has been run then).
 * `say` gets the lines the operator should read.
 */
export async function guardExecute(opts: {
  plan: Plan;
  env: Env;
  breakGlass?: string;
  say: (line: string) => void;
}): Promise<{ ok: true; guard: ExecuteGuard } | { ok: false; why: string }> {
  const { plan, env } = opts;
  const reason = opts.breakGlass?.trim();
  if (env.NODE_ENV === 'production' && !reason)
    return {
      ok: false,
      why: 'NODE_ENV=production: --execute skips the approvals; add --break-glass "<reason>" (the reason is audited and posted to the cluster\'s channel)',
    };
  if (!env.CONTROL_REDIS_URL)
    return {
      ok: false,
      why: '--execute needs CONTROL_REDIS_URL: the cluster lock and the audit live in the control Redis',
    };
  const redis = new Redis(env.CONTROL_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    commandTimeout: 3000,
  });
  redis.on('error', () => undefined);
  const actor = osUser(env);
  let store: ControlPlanStore;
  try {
    await redis.connect();
    store = createPlanStore(redis);
    const now = Date.now();
    await store.create(plan, { now });
    // Marked running at once: the lock below only counts as held while its plan is running.
    await redis.hset(store.keys.plan(plan.id), 'status', 'running', 'updatedAt', now);
    await redis.zrem(store.keys.open, plan.id);
  } catch (err) {
    redis.disconnect();
    return { ok: false, why: `the control Redis did not answer (${(err as Error).message})` };
  }
  const audit = createAuditLog(redis);
  const cluster = plan.cluster;
  const lock = await store.acquireClusterLock(cluster, plan.id, LOCK_TTL_MS);
  if (!lock.ok) {
    await store.finish(plan.id, {
      status: 'failed',
      detail: `not run: plan ${lock.holder} holds the cluster lock`,
      finishedAt: Date.now(),
    });
    redis.disconnect();
    return { ok: false, why: `plan ${lock.holder} is running on ${cluster}: wait for it, or cancel it` };
  }
  const detail = `via: cli${reason ? `; break-glass: ${reason}` : ''}`;
  await audit.record({ who: actor, what: 'cli-execute', cluster, plan: plan.id, outcome: 'started', detail });
  const channel = reason && env.SLACK_BOT_TOKEN ? channelOf(cluster, env) : undefined;
  if (reason && channel) {
    const why = await postNotice(
      env,
      channel,
      `:rotating_light: Break-glass: ${actor} runs plan \`${plan.id}\` (${plan.title}) on *${cluster}* from the command line, without approval. Reason: ${reason}`,
    );
    if (why) opts.say(`could not post the break-glass notice to ${channel}: ${why} (it is in the audit)`);
  }
  const renew = setInterval(() => {
    store.renewClusterLock(cluster, plan.id, LOCK_TTL_MS).catch(() => undefined);
  }, 10_000);
  return {
    ok: true,
    guard: {
      async release(result) {
        clearInterval(renew);
        try {
          await store.finish(plan.id, { ...result, finishedAt: Date.now() });
          await audit.record({
            who: actor,
            what: 'result',
            cluster,
            plan: plan.id,
            outcome: result.status,
            detail: `via: cli: ${result.detail}`,
          });
        } finally {
          await redis.quit().catch(() => redis.disconnect());
        }
      },
    },
  };
}
