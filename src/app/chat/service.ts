import { asCodedError } from '../../core/errors.ts';
import { parseIntent } from '../../core/intents/parse-intent.ts';
import { systemClock } from '../../core/ports.ts';
import { commandsTotal } from '../../metrics.ts';
import { buildHomeView } from '../app-home.ts';
import { ActionIds, type ActionRequest, type CommandRequest } from '../chat-port.ts';
import { messageDecorators } from '../cluster-links.ts';
import { createCommandGate } from '../command-gate.ts';
import { renderNotice, renderUsageError } from '../messages/index.ts';
import { startPlanThreads, stopPlanThreads } from '../plans/plan-reconcile.ts';
import { createPlanThreads, idle } from '../plans/plan-thread.ts';
import { createPlanProposer } from '../plans/watch-proposer.ts';
import { createScan } from '../scan.ts';
import { createWatchPoster } from '../watch/poster.ts';
import { answer, auditSafe, errorMessage, gateRefused, refusal } from './answer.ts';
import { failedWhat, runCommand } from './commands/index.ts';
import type { ChatContext } from './context.ts';
import type { ChatServiceDeps, ChatServiceInternals, ChatSettings } from './types.ts';
import { vote } from './vote.ts';

export type { ChaosHandler, ChatServiceDeps, ChatServiceInternals, ChatSettings } from './types.ts';

/**
 * Transport-agnostic chat (Slack and the console): routes `/redis …` commands and button clicks to their
 * handlers, and keeps plan messages and threads up to date from the bus. Never throws: every path answers.
 */
export function createChatService(deps: ChatServiceDeps): ChatServiceInternals {
  const ctx = chatContext(deps);
  const proposer = createPlanProposer(ctx);
  return {
    homeView: (user: string) => buildHomeView(ctx, user),
    watchPoster: createWatchPoster({
      chat: ctx.chat,
      proposer,
      store: ctx.store,
      clock: ctx.clock,
      logger: ctx.log,
    }),
    proposePlan: proposer.proposePlan,
    refreshPlan: proposer.refreshPlan,
    reconcileRounds: () => ctx.threads.rounds,
    handleCommand: (req) => handleCommand(ctx, req),
    handleAction: (req) => handleAction(ctx, req),
    start: () => startPlanThreads(ctx.threads, deps.bus),
    stop: () => stopPlanThreads(ctx.threads),
    idle: () => idle(ctx.threads),
  };
}

function chatContext(deps: ChatServiceDeps): ChatContext {
  const { chat, clusters, store, settings } = deps;
  const log = deps.logger.child({ component: 'chat-service' });
  const clock = deps.clock ?? systemClock;
  const scan = createScan({
    scanTimeoutMs: settings.scanTimeoutMs,
    ...(deps.analyze ? { analyze: deps.analyze } : {}),
  });
  // Link buttons and the operator line (issue 19) on status and plan messages, the watcher's included.
  const decorators = messageDecorators(clusters);
  return {
    ...decorators,
    chat,
    clusters,
    store,
    audit: deps.audit,
    approvals: deps.approvals,
    settings,
    log,
    clock,
    scan,
    gate: createCommandGate({ clusters, store, ratePerMinute: settings.ratePerMinute ?? 0, clock }),
    threads: createPlanThreads({
      chat,
      store,
      clusters,
      settings,
      log,
      clock,
      scan,
      planLinked: decorators.planLinked,
      ...(deps.claimPlan ? { claimPlan: deps.claimPlan } : {}),
    }),
    ...(deps.chaos ? { chaos: deps.chaos } : {}),
    ...(deps.controlHealthy ? { controlHealthy: deps.controlHealthy } : {}),
  };
}

function channelAllowed(settings: ChatSettings, channel: string): boolean {
  return (
    settings.allowedChannels.length === 0 ||
    settings.allowedChannels.includes(channel) ||
    (settings.postChannels ?? []).includes(channel)
  );
}

const NOT_HERE = 'redis-medic does not take commands in this channel.';

/** `/redis …`: the channel, the parse, the gate, the audit, then the sub-command's handler. */
async function handleCommand(ctx: ChatContext, req: CommandRequest): Promise<void> {
  let command = 'invalid';
  let outcome = 'ok';
  try {
    if (!channelAllowed(ctx.settings, req.channel)) {
      command = 'denied';
      outcome = 'channel-not-allowed';
      await auditSafe(ctx, {
        who: req.user,
        what: 'command',
        outcome,
        detail: `in ${req.channel}: ${req.text}`,
      });
      await answer(ctx, req, refusal(NOT_HERE));
      return;
    }
    const parsed = parseIntent(req.text);
    if (!parsed.ok) {
      command = parsed.command ?? 'invalid';
      outcome = 'bad-input';
      await auditSafe(ctx, { who: req.user, what: 'command', outcome, detail: req.text.slice(0, 500) });
      await answer(ctx, req, renderUsageError(parsed));
      return;
    }
    const intent = parsed.intent;
    command = intent.kind;
    const gated = await ctx.gate.checkCommand(intent, req);
    if (gated) {
      outcome = gated.outcome;
      await gateRefused(ctx, req, gated, req.text.slice(0, 500));
      return;
    }
    await auditSafe(ctx, {
      who: req.user,
      what: 'command',
      ...('cluster' in intent && intent.cluster ? { cluster: intent.cluster } : {}),
      outcome: 'received',
      detail: req.text.slice(0, 500),
    });
    outcome = await runCommand(ctx, intent, req);
  } catch (err) {
    outcome = 'error';
    ctx.log.error(
      { err: asCodedError(err).message, stack: (err as Error)?.stack, text: req.text },
      'command failed',
    );
    await answer(ctx, req, await errorMessage(ctx, err, failedWhat(command)));
  } finally {
    commandsTotal.inc({ command, outcome });
  }
}

/** A button click: the data-loss and share buttons become commands; Approve / Reject go to `vote`. */
async function handleAction(ctx: ChatContext, req: ActionRequest): Promise<void> {
  let outcome = 'ok';
  try {
    if (!channelAllowed(ctx.settings, req.channel)) {
      outcome = 'channel-not-allowed';
      await answer(ctx, req, refusal(NOT_HERE));
      return;
    }
    if (req.actionId === ActionIds.acceptDataLoss) {
      // The button on a "No plan" answer: the same as typing the command (parsed, audited, answered alike).
      outcome = 'command';
      const cluster = req.value ? ` --cluster ${req.value}` : '';
      const text = `diagnose --accept-data-loss${cluster}`;
      await handleCommand(ctx, { user: req.user, channel: req.channel, text, respond: req.respond });
      return;
    }
    if (req.actionId === ActionIds.share) {
      // A private diagnose shared: diagnose again, in the channel, as the person who clicked.
      const text = `diagnose ${req.value}`.trim();
      outcome = await runCommand(
        ctx,
        { kind: 'diagnose', ...(req.value ? { cluster: req.value } : {}) },
        { user: req.user, channel: req.channel, text, respond: req.respond },
      );
      return;
    }
    if (req.actionId !== ActionIds.approve && req.actionId !== ActionIds.reject) {
      outcome = 'unknown-action';
      await answer(ctx, req, renderNotice('This button is not one redis-medic knows.', ':grey_question:'));
      return;
    }
    outcome = await vote(ctx, req);
  } catch (err) {
    outcome = 'error';
    ctx.log.error({ err: asCodedError(err).message, action: req.actionId, plan: req.value }, 'action failed');
    await answer(ctx, req, await errorMessage(ctx, err, clickFailedWhat(req.actionId)));
  } finally {
    const known = (Object.values(ActionIds) as string[]).includes(req.actionId);
    commandsTotal.inc({ command: `button:${known ? req.actionId : 'other'}`, outcome });
  }
}

function clickFailedWhat(actionId: string): string {
  if (actionId === ActionIds.approve) return 'Your approval could not be recorded';
  if (actionId === ActionIds.reject) return 'Your rejection could not be recorded';
  return 'Could not do that';
}
