/**
 * Helpers shared by the step handlers: fresh views of one node, and waits that always end (a deadline,
 * then STEP_TIMEOUT naming what we waited for and what we last saw).
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { answers } from '../../core/plans/cluster-view.ts';
import { Credential } from '../../core/ports.ts';
import { parseClusterNodes } from '../../core/topology/parse-cluster-nodes.ts';
import { parseInfo } from '../../core/topology/parse-info.ts';
import type { Addr, ClusterNode, NodeView, Topology } from '../../core/types.ts';
import type { StepContext } from './types.ts';

/** Resolves after `ms`, or at once when `signal` aborts. Leaves no listener on `signal` behind either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `CLUSTER NODES` of one node, parsed. */
export async function clusterNodesOf(ctx: StepContext, addr: Addr): Promise<NodeView[]> {
  const text = String(await ctx.commander.call(addr, ['CLUSTER', 'NODES']));
  const parsed = parseClusterNodes(text);
  if (!parsed.ok) throw new CodedError(ErrorCodes.ParseError, `${addr}: ${parsed.error}`, { addr });
  return parsed.value;
}

export async function infoOf(ctx: StepContext, addr: Addr, section: string): Promise<Record<string, string>> {
  return parseInfo(String(await ctx.commander.call(addr, ['INFO', section])));
}

/** Live members (they answered the scan as themselves), optionally without some addresses. */
export function liveMembers(topology: Topology, except: (Addr | null)[] = []): ClusterNode[] {
  return topology.nodes.filter((n) => n.addr && answers(topology, n) && !except.includes(n.addr));
}

export interface WaitOptions {
  /** Metric the waited time is added to; default `redisWaitMs` (time Redis takes, not ours). */
  metric?: string;
  timeoutMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined/false. Errors from a poll (a node briefly
 * unreachable) are remembered and retried. At the deadline: STEP_TIMEOUT with the last state and error.
 */
export async function waitFor<T>(
  ctx: StepContext,
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions = {},
): Promise<T> {
  const started = ctx.clock.now();
  const timeoutMs = opts.timeoutMs ?? ctx.waitTimeoutMs;
  const metric = opts.metric ?? 'redisWaitMs';
  let lastError: string | undefined;
  let noted = false;
  try {
    for (;;) {
      if (ctx.signal?.aborted)
        throw new CodedError(ErrorCodes.Cancelled, `cancelled while waiting for ${what}`);
      try {
        const v = await probe();
        if (v !== undefined && v !== false) return v;
        lastError = undefined;
      } catch (err) {
        // A final answer (e.g. a Redis error reply turned into STEP_FAILED) ends the wait at once.
        if (err instanceof CodedError && err.details?.transient === false) throw err;
        lastError = err instanceof Error ? err.message : String(err);
      }
      const elapsed = ctx.clock.now() - started;
      if (elapsed >= timeoutMs) {
        throw new CodedError(
          ErrorCodes.StepTimeout,
          `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
          { what, timeoutMs, ...(lastError ? { lastError } : {}) },
        );
      }
      if (!noted && elapsed >= 1000) {
        noted = true;
        ctx.note(`waiting for ${what}`);
      }
      await sleep(ctx.pollMs, ctx.signal);
    }
  } finally {
    ctx.metrics[metric] = (ctx.metrics[metric] ?? 0) + (ctx.clock.now() - started);
  }
}

/** Runs `fn`, adding its duration to `metric` (default actionMs). */
export async function timed<T>(ctx: StepContext, fn: () => Promise<T>, metric = 'actionMs'): Promise<T> {
  const t0 = ctx.clock.now();
  try {
    return await fn();
  } finally {
    ctx.metrics[metric] = (ctx.metrics[metric] ?? 0) + (ctx.clock.now() - t0);
  }
}

/** A Redis error reply (NODE_ERROR) whose text matches. */
export function isReply(err: unknown, pattern: RegExp): boolean {
  return err instanceof CodedError && err.code === ErrorCodes.NodeError && pattern.test(err.message);
}

/** Turns a Redis error reply into STEP_FAILED (a retry will not fix it); node timeouts stay transient. */
export function failure(err: unknown, what: string): CodedError {
  if (err instanceof CodedError && err.details?.transient) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(ErrorCodes.StepFailed, `${what}: ${message}`, {
    ...(err instanceof CodedError ? (err.details ?? {}) : {}),
    transient: false,
  });
}

/**
 * A replica of a password-protected master needs `masterauth` (and `masteruser` for an ACL user) to sync;
 * a node started without them (a pod without the chart's settings) would never bring its link up. When
 * the cluster is read with a password and the node has no `masterauth`, give it ours, through the
 * commander's `Credential` stand-ins (the password never passes through here). Returns a note for the
 * report, or undefined when nothing was needed. A node that will not tell (CONFIG renamed or forbidden)
 * is left as it is.
 */
export async function ensureMasterauth(ctx: StepContext, addr: Addr): Promise<string | undefined> {
  const auth = ctx.topology.auth;
  if (!auth) return undefined;
  let current: unknown;
  try {
    current = await ctx.commander.call(addr, ['CONFIG', 'GET', 'masterauth']);
  } catch (err) {
    if (err instanceof CodedError && err.details?.transient) throw err;
    return `could not read masterauth on ${addr}: it needs one to sync with a password-protected master`;
  }
  if (Array.isArray(current) && String(current[1] ?? '') !== '') return undefined;
  const args: string[] = ['CONFIG', 'SET', 'masterauth', Credential.password];
  if (auth.username) args.push('masteruser', Credential.username);
  try {
    await ctx.commander.call(addr, args);
  } catch (err) {
    throw failure(err, `setting masterauth on ${addr} (it has none, so it cannot sync)`);
  }
  return `set masterauth${auth.username ? ' and masteruser' : ''} on ${addr} (it had none)`;
}

/** A replication link that never came up on a password-protected cluster: name the usual cause. */
export async function hintMasterauth<T>(ctx: StepContext, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    if (!(err instanceof CodedError) || err.code !== ErrorCodes.StepTimeout || !ctx.topology.auth) throw err;
    throw new CodedError(
      err.code,
      `${err.message}. The master asks for a password: a replica whose masterauth is wrong never syncs (its log says so)`,
      err.details,
    );
  }
}
