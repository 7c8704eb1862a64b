/**
 * `enable-aof` (standalone): `CONFIG SET appendonly yes`, then wait until Redis has written the AOF base
 * (the rewrite it starts at once) and reports it healthy. Done when AOF is already on.
 */
import { CodedError, ErrorCodes } from '../../core/errors.ts';
import { unreachableText } from '../../core/standalone/analyze.ts';
import { buildStandaloneView } from '../../core/standalone/view.ts';
import { failure, infoOf, timed, waitFor } from './support.ts';
import type { StepHandlerFor } from './types.ts';

export const enableAofHandler: StepHandlerFor<'enable-aof'> = {
  check(topology, step) {
    const node = buildStandaloneView(topology).byAddr(step.addr);
    if (!node?.reachable) return { state: 'stale', reason: `${step.addr} ${unreachableText(node)}` };
    if (node.persistence?.aofEnabled)
      return { state: 'done', detail: `${step.addr} has AOF on (appendonly yes)` };
    return { state: 'ready' };
  },

  async act(ctx, step) {
    try {
      await timed(ctx, () => ctx.commander.call(step.addr, ['CONFIG', 'SET', 'appendonly', 'yes']));
    } catch (err) {
      throw failure(err, `CONFIG SET appendonly yes on ${step.addr}`);
    }
    return `${step.addr} accepted CONFIG SET appendonly yes`;
  },

  async waitUntilDone(ctx, step) {
    const info = await waitFor(ctx, `${step.addr} to finish writing its AOF`, async () => {
      const p = await infoOf(ctx, step.addr, 'persistence');
      if (p.aof_last_bgrewrite_status === 'err' && p.aof_rewrite_in_progress === '0') {
        throw new CodedError(
          ErrorCodes.StepFailed,
          `${step.addr} failed to write its AOF (aof_last_bgrewrite_status:err): check its disk and logs`,
          { transient: false },
        );
      }
      const ready =
        p.aof_enabled === '1' &&
        p.aof_rewrite_in_progress === '0' &&
        p.aof_rewrite_scheduled === '0' &&
        p.aof_last_write_status === 'ok';
      return ready ? p : false;
    });
    return `${step.addr} writes an AOF now (aof_enabled:1, last rewrite ${info.aof_last_bgrewrite_status ?? '?'})`;
  },
};
