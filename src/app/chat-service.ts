/**
 * Transport-agnostic chat: turns `/redis …` commands and button clicks into answers, and keeps plan messages
 * and their threads up to date from the exec / plan events of the bus. Slack and the console both call it.
 * The one place where errors become words: every path answers the user, nothing here throws.
 */

import { asCodedError, CodedError, ErrorCodes } from '../core/errors.ts';
import { type ChaosAction, type Intent, parseIntent } from '../core/intents/parse-intent.ts';
import {
  type AuditLog,
  type ChatRef,
  type EventBus,
  isTerminal,
  type PlanEvent,
  type PlanRecord,
  type PlanStore,
} from '../core/plan-record.ts';
import { planForAction, planForFindings } from '../core/plans/index.ts';
import { type Clock, systemClock } from '../core/ports.ts';
import { analyzeTopology } from '../core/topology/analyze.ts';
import type { ExecEvent, Finding, Plan, PlanOutcome, Topology } from '../core/types.ts';
import { withDeadline } from '../deadline.ts';
import type { Logger } from '../logger.ts';
import { commandsTotal } from '../metrics.ts';
import { buildHomeView } from './app-home.ts';
import type { ApprovalService } from './approvals.ts';
import {
  ActionIds,
  type ActionRequest,
  type ChatMessage,
  type ChatPort,
  type ChatService,
  type CommandRequest,
  type Respond,
} from './chat-port.ts';
import { messageDecorators } from './cluster-links.ts';
import type { ClusterEntry, ClusterRegistry } from './clusters.ts';
import { createCommandGate, type GateRefusal } from './command-gate.ts';
import { every } from './every.ts';
import { assessKeysAtRisk } from './keys-at-risk.ts';
import { hasCollapsedCommands, renderCommandList } from './messages/commands.ts';
import {
  applyExecEvent,
  dataLossButton,
  findingCounts,
  healthOf,
  initialProgress,
  type LiveStep,
  type ProgressState,
  renderAudit,
  renderCancelled,
  renderClusters,
  renderHelp,
  renderMrkdwn,
  renderNotice,
  renderPlan,
  renderPlans,
  renderProgress,
  renderStatus,
  renderSummary,
  renderUsageError,
} from './messages/index.ts';
import { clip, esc, fitMessage, mention, packLines, section, clock as timeOfDay } from './messages/kit.ts';
import { roleCountText } from './messages/sentinel-status.ts';
import { findOpenTwin, renderOpenTwin } from './open-twin.ts';
import { privatePlanPreview } from './private-answers.ts';
import { timelineMessage } from './timeline-command.ts';
import type { WatchPoster } from './watch/ports.ts';
import { createWatchPoster, type PlanProposer, WATCHER_USER } from './watch/poster.ts';

/** Sandbox-only: breaks the local cluster (`/redis chaos …`). Returns what it did, as a message or lines. */
export type ChaosHandler = (req: {
  action: ChaosAction;
  node?: string;
  cluster: string;
  user: string;
}) => Promise<ChatMessage | string>;

export interface ChatSettings {
  /** Channel ids where commands are accepted; empty: any. */
  allowedChannels: readonly string[];
  /** Channels the bot posts incidents and alerts in on its own: accepted too, so their plans can be approved there. */
  postChannels?: readonly string[];
  /** Per-node scan bound; the whole scan is cut at about 3× this, so a frozen node never holds an answer longer. */
  scanTimeoutMs: number;
  planTtlMs: number;
  /** After a plan, how long the summary may wait for gossip to settle before reporting the cluster (default 10 s). */
  settleMs?: number;
  /** An approved plan no worker has started after this long gets a note in its thread (default 30 s; 0: off). */
  pickupWarnMs?: number;
  /**
   * How often plans that have not ended are re-read from the store (default 3000 ms; 0: off). Their progress
   * normally arrives as pub/sub events, which are lost while the control Redis restarts: this catches up.
   */
  reconcileMs?: number;
  /** Scans and plans per person per minute (RATE_LIMIT_PER_MINUTE; default 0: no limit). */
  ratePerMinute?: number;
}

/** No critical finding and no disagreement left: nodes agree on the new picture. */
function settled(findings: Finding[]): boolean {
  return !findings.some((f) => f.severity === 'critical' || /disagreement/.test(f.code));
}

export interface ChatServiceDeps {
  chat: ChatPort;
  clusters: ClusterRegistry;
  store: PlanStore;
  audit: AuditLog;
  approvals: ApprovalService;
  bus: Pick<EventBus, 'subscribe' | 'subscribePlan'>;
  logger: Logger;
  settings: ChatSettings;
  clock?: Clock;
  chaos?: ChaosHandler;
  /** Findings of a topology (default analyzeTopology). */
  analyze?: (t: Topology) => Finding[];
  /**
   * With several bot processes, exactly one keeps a plan's message and thread up to date: the one that
   * wins this claim (a lease in the control Redis). Default: this process always does.
   */
  claimPlan?: (planId: string) => Promise<boolean>;
  /**
   * Does the control Redis (plans, approvals, audit) answer? Asked when something unexpected fails, so the
   * answer can say plainly that it is down. Default: not asked.
   */
  controlHealthy?: () => Promise<boolean>;
}

/** What a running chat service exposes beyond the ChatService contract (tests, the watcher). */
export interface ChatServiceInternals extends ChatService, PlanProposer {
  /** Resolves when every pending plan-message / thread update has been sent. */
  idle(): Promise<void>;
  /** What the watcher posts through (src/app/watcher.ts): incidents look exactly like `diagnose`. */
  watchPoster: WatchPoster;
  /** Reconcile rounds run so far (tests wait on it to know a round saw the latest state). */
  reconcileRounds(): number;
}

/** Who a plan proposed by the watcher is "requested by" (defined in watch-poster.ts). */
export { WATCHER_USER };

interface PlanTrack {
  chain: Promise<void>;
  scheduled: boolean;
  progress?: ProgressState;
  progressDirty: boolean;
  live?: LiveStep;
  summaryDue: boolean;
}

type ScanResult = { ok: true; topology: Topology; findings: Finding[] } | { ok: false; error: string };

const refusal = (text: string): ChatMessage => renderNotice(text, ':no_entry:');

export function createChatService(deps: ChatServiceDeps): ChatServiceInternals {
  const { chat, clusters, store, audit, approvals, settings } = deps;
  const log = deps.logger.child({ component: 'chat-service' });
  const clock = deps.clock ?? systemClock;
  const analyze = deps.analyze ?? ((t: Topology) => analyzeTopology(t));
  const tracks = new Map<string, PlanTrack>();
  const gate = createCommandGate({ clusters, store, ratePerMinute: settings.ratePerMinute ?? 0, clock });
  const unsubscribers: (() => Promise<void>)[] = [];
  let stopped = false;

  // ---------------------------------------------------------------------------------------------
  // Answering

  async function answer(
    respond: Respond,
    req: { channel: string; user: string },
    msg: ChatMessage,
    ephemeral = true,
  ) {
    try {
      await respond(msg, { ephemeral });
    } catch (err) {
      log.warn({ err: asCodedError(err).message }, 'respond failed; trying an ephemeral message');
      try {
        if (ephemeral) await chat.postEphemeral(req.channel, req.user, msg);
        else await chat.post(req.channel, msg);
      } catch (err2) {
        log.error({ err: asCodedError(err2).message }, 'could not answer the user');
      }
    }
  }

  /** Posts in the channel; when the bot cannot post there, answers through respond (visible in channel). */
  async function postPublic(
    req: CommandRequest,
    msg: ChatMessage,
    threadTs?: string,
  ): Promise<string | undefined> {
    try {
      const { ts } = await chat.post(req.channel, msg, threadTs ? { threadTs } : undefined);
      return ts;
    } catch (err) {
      const e = asCodedError(err);
      log.warn({ err: e.message, channel: req.channel }, 'post failed; answering through respond');
      await answer(req.respond, req, msg, false);
      // Not a member: Slack still takes the slash command's reply, but threads and updates need the bot in.
      const slackError = String(e.details?.slackError ?? '');
      if (['not_in_channel', 'channel_not_found'].includes(slackError))
        await answer(
          req.respond,
          req,
          renderNotice(
            `I am not a member of this channel (Slack says ${slackError}), so that answer came through the slash command's reply.`,
            ':wave:',
            'Plans still work, but their progress, their summary and the buttons’ updates need me in the channel: `/invite @redis-medic` here, then ask again.',
          ),
        );
      return undefined;
    }
  }

  async function auditSafe(entry: Parameters<AuditLog['record']>[0]) {
    try {
      await audit.record(entry);
    } catch (err) {
      log.warn({ err: asCodedError(err).message, what: entry.what }, 'audit append failed');
    }
  }

  /** `what` could not be done because the control Redis is down: say so, and what still works. */
  function controlDown(what: string, slow: boolean): ChatMessage {
    return renderNotice(
      `${what}: the control Redis, where redis-medic keeps plans, approvals and the audit, does not answer, so it cannot record approvals right now.`,
      ':electric_plug:',
      `${slow ? 'It may only be slow: what you asked may still be recorded when it answers, so check `/redis plans` then.' : 'Nothing was changed.'} \`/redis status\` still works; try again once the control Redis is back (the bot’s /readyz says \`degraded\` until then).`,
    );
  }

  async function errorMessage(err: unknown, what = 'Could not do that'): Promise<ChatMessage> {
    const e = asCodedError(err);
    if (e.code === 'UNEXPECTED' && deps.controlHealthy && !(await deps.controlHealthy().catch(() => false)))
      return controlDown(what, /timed out/i.test(e.message));
    switch (e.code) {
      case ErrorCodes.UnknownCluster:
        return refusal(e.message);
      case ErrorCodes.ClusterUnreachable:
        return renderNotice(e.message, ':electric_plug:', 'Nothing was changed.');
      case ErrorCodes.PlanNotFound:
        return renderNotice(e.message, ':mag:');
      default:
        return renderNotice(
          `Something went wrong (${e.code}): ${e.message.slice(0, 500)}`,
          ':warning:',
          'Nothing was changed. The details are in the bot log.',
        );
    }
  }

  function channelAllowed(channel: string): boolean {
    return (
      settings.allowedChannels.length === 0 ||
      settings.allowedChannels.includes(channel) ||
      (settings.postChannels ?? []).includes(channel)
    );
  }

  function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return withDeadline(
      p,
      ms,
      () => new CodedError(ErrorCodes.ClusterUnreachable, `${what} took longer than ${ms} ms`),
    );
  }

  /** Scans in flight, per cluster: requests that arrive meanwhile share the answer (nothing is kept after). */
  const scansInFlight = new Map<string, Promise<ScanResult>>();

  /**
   * A fresh read of the cluster. Concurrent requests for one cluster (twenty people typing `/redis status`
   * during an incident) share one scan instead of asking every node twenty times; a request that arrives
   * after it finished starts a new one, so no answer is older than the request. `fresh`: never share.
   */
  function scan(entry: ClusterEntry, opts: { fresh?: boolean } = {}): Promise<ScanResult> {
    if (opts.fresh) return scanNow(entry);
    const running = scansInFlight.get(entry.name);
    if (running) return running;
    const p = scanNow(entry).finally(() => scansInFlight.delete(entry.name));
    scansInFlight.set(entry.name, p);
    return p;
  }

  async function scanNow(entry: ClusterEntry): Promise<ScanResult> {
    const deadline = settings.scanTimeoutMs * 3 + 250;
    try {
      const topology = await within(
        entry.source.scan({ timeoutMs: settings.scanTimeoutMs }),
        deadline,
        `reading cluster ${entry.name}`,
      );
      return { ok: true, topology, findings: analyze(topology) };
    } catch (err) {
      return { ok: false, error: asCodedError(err).message };
    }
  }

  /** Link buttons and the operator line (issue 19) on status and plan messages, the watcher's included. */
  const { statusLinked, planLinked } = messageDecorators(clusters);

  function resolveCluster(
    name: string | undefined,
  ): { ok: true; entry: ClusterEntry } | { ok: false; msg: ChatMessage } {
    const r = clusters.resolve(name);
    return r.ok ? r : { ok: false, msg: refusal(r.error) };
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  async function handleCommand(req: CommandRequest): Promise<void> {
    let command = 'invalid';
    let outcome = 'ok';
    try {
      if (!channelAllowed(req.channel)) {
        command = 'denied';
        outcome = 'channel-not-allowed';
        await auditSafe({
          who: req.user,
          what: 'command',
          outcome,
          detail: `in ${req.channel}: ${req.text}`,
        });
        await answer(req.respond, req, refusal('redis-medic does not take commands in this channel.'));
        return;
      }
      const parsed = parseIntent(req.text);
      if (!parsed.ok) {
        command = parsed.command ?? 'invalid';
        outcome = 'bad-input';
        await auditSafe({ who: req.user, what: 'command', outcome, detail: req.text.slice(0, 500) });
        await answer(req.respond, req, renderUsageError(parsed));
        return;
      }
      const intent = parsed.intent;
      command = intent.kind;
      const gated = await gate.checkCommand(intent, req);
      if (gated) {
        outcome = gated.outcome;
        await gateRefused(req, gated, req.text.slice(0, 500));
        return;
      }
      await auditSafe({
        who: req.user,
        what: 'command',
        ...('cluster' in intent && intent.cluster ? { cluster: intent.cluster } : {}),
        outcome: 'received',
        detail: req.text.slice(0, 500),
      });
      outcome = await dispatch(intent, req);
    } catch (err) {
      outcome = 'error';
      log.error(
        { err: asCodedError(err).message, stack: (err as Error)?.stack, text: req.text },
        'command failed',
      );
      await answer(req.respond, req, await errorMessage(err, failedWhat(command)));
    } finally {
      commandsTotal.inc({ command, outcome });
    }
  }

  function failedWhat(command: string): string {
    if (['diagnose', 'failover', 'forget', 'join', 'restart'].includes(command))
      return 'The plan could not be stored';
    if (command === 'plans') return 'Could not list the plans';
    if (command === 'cancel') return 'Could not cancel the plan';
    if (command === 'audit') return 'Could not read the audit';
    return 'Could not do that';
  }

  async function dispatch(intent: Intent, req: CommandRequest): Promise<string> {
    switch (intent.kind) {
      case 'help':
        await answer(
          req.respond,
          req,
          renderHelp({
            ...(intent.topic ? { topic: intent.topic } : {}),
            clusters: clusters.names(),
            sandbox: !!deps.chaos,
          }),
        );
        return 'ok';
      case 'status': {
        const c = resolveCluster(intent.cluster);
        if (!c.ok) return refuse(req, c.msg);
        const s = await scan(c.entry);
        if (!s.ok) return refuse(req, unreachable(c.entry, s.error));
        const msg = statusLinked(c.entry.name, renderStatus(s.topology, s.findings), s.findings);
        if (intent.private) await answer(req.respond, req, msg);
        else await postPublic(req, msg);
        return 'ok';
      }
      case 'diagnose': {
        const c = resolveCluster(intent.cluster);
        if (!c.ok) return refuse(req, c.msg);
        const s = await scan(c.entry);
        if (!s.ok) return refuse(req, unreachable(c.entry, s.error));
        const outcome = planForFindings(s.topology, s.findings, {
          ...ctx(c.entry, req.user),
          ...(intent.acceptDataLoss ? { acceptDataLoss: true } : {}),
        });
        if (!outcome.ok) {
          const msg = statusLinked(c.entry.name, noPlanMessage(s.topology, s.findings, outcome), s.findings);
          if (intent.private) await answer(req.respond, req, msg);
          else await postPublic(req, msg);
          return 'no-plan';
        }
        const twin = await findOpenTwin(store, outcome.plan, clock.now());
        if (twin) return refuse(req, renderOpenTwin(twin), 'duplicate');
        if (intent.private) {
          await answer(req.respond, req, privatePlanPreview(outcome.plan, clock.now()));
          return 'private';
        }
        const addressed = new Set(outcome.plan.findings.map((f) => `${f.code}|${f.summary}`));
        const others = s.findings.filter((f) => !addressed.has(`${f.code}|${f.summary}`));
        return propose(req, await counted(outcome.plan, s.topology), others);
      }
      case 'failover':
      case 'forget':
      case 'join':
      case 'restart': {
        const c = resolveCluster(intent.cluster);
        if (!c.ok) return refuse(req, c.msg);
        const s = await scan(c.entry);
        if (!s.ok) return refuse(req, unreachable(c.entry, s.error));
        const action =
          intent.kind === 'failover'
            ? { kind: 'failover' as const, node: intent.node, mode: intent.mode }
            : intent.kind === 'forget'
              ? { kind: 'forget' as const, node: intent.node }
              : intent.kind === 'join'
                ? {
                    kind: 'join' as const,
                    node: intent.node,
                    ...(intent.replicaOf ? { replicaOf: intent.replicaOf } : {}),
                  }
                : { kind: 'restart' as const, pod: intent.pod };
        const outcome = planForAction(s.topology, action, ctx(c.entry, req.user));
        if (!outcome.ok) {
          await auditSafe({
            who: req.user,
            what: 'refusal',
            cluster: c.entry.name,
            outcome: outcome.code,
            detail: outcome.reason,
          });
          return refuse(req, renderMrkdwn(`:no_entry: ${outcome.reason}`, outcome.reason));
        }
        return propose(req, await counted(outcome.plan, s.topology), []);
      }
      case 'plans': {
        if (intent.cluster) {
          const c = resolveCluster(intent.cluster);
          if (!c.ok) return refuse(req, c.msg);
        }
        const records = (
          await store.list({ ...(intent.cluster ? { cluster: intent.cluster } : {}), limit: 20 })
        ).filter((r) => gate.visibleIn(r.plan.cluster, req.channel));
        await answer(
          req.respond,
          req,
          renderPlans(records, { now: clock.now(), ...(intent.cluster ? { cluster: intent.cluster } : {}) }),
        );
        return 'ok';
      }
      case 'cancel': {
        const r = await approvals.cancel(intent.plan, req.user);
        if (!r.ok) return refuse(req, renderMrkdwn(`:no_entry: ${r.reason}`, r.reason));
        // A running plan stops at the next check: what was already sent to Redis stays done.
        const msg =
          r.record.status === 'cancelled'
            ? renderCancelled(r.record, req.user)
            : renderMrkdwn(
                `:octagonal_sign: ${r.message}. A command already sent to Redis is not undone; the plan's thread says where it stopped.`,
                r.message,
              );
        await answer(req.respond, req, msg);
        schedule(intent.plan);
        return 'ok';
      }
      case 'audit': {
        let entries = intent.plan
          ? await audit.forPlan(intent.plan, intent.n)
          : await audit.last(intent.cluster ? intent.n * 10 : intent.n);
        if (intent.cluster) entries = entries.filter((e) => e.cluster === intent.cluster).slice(-intent.n);
        entries = entries.filter((e) => gate.visibleIn(e.cluster, req.channel));
        await answer(
          req.respond,
          req,
          renderAudit(entries, {
            n: intent.n,
            ...(intent.plan ? { plan: intent.plan } : {}),
            ...(intent.cluster ? { cluster: intent.cluster } : {}),
          }),
        );
        return 'ok';
      }
      case 'clusters': {
        const list = await Promise.all(
          clusters.list().map(async (e) => {
            const s = await scan(e);
            const health = s.ok
              ? healthOf(s.topology, s.findings)
              : { emoji: ':black_circle:', word: 'unreachable' };
            const detail = s.ok
              ? `${roleCountText(s.topology)} · findings: ${findingCounts(s.findings)}`
              : s.error;
            return {
              name: e.name,
              seeds: e.def.seeds,
              health,
              detail,
              ...(e.def.k8s ? { k8s: e.def.k8s } : {}),
            };
          }),
        );
        await answer(req.respond, req, renderClusters(list));
        return 'ok';
      }
      case 'timeline':
        await postPublic(req, await timelineMessage({ store, audit }, intent));
        return 'ok';
      case 'chaos': {
        if (!deps.chaos)
          return refuse(req, refusal('chaos sub-commands exist only in the sandbox (npm run sandbox).'));
        const c = resolveCluster(intent.cluster);
        if (!c.ok) return refuse(req, c.msg);
        const r = await deps.chaos({
          action: intent.action,
          ...(intent.node ? { node: intent.node } : {}),
          cluster: c.entry.name,
          user: req.user,
        });
        await postPublic(req, typeof r === 'string' ? renderNotice(r, ':boom:') : r);
        return 'ok';
      }
    }
  }

  async function refuse(req: CommandRequest, msg: ChatMessage, outcome = 'refused'): Promise<string> {
    await answer(req.respond, req, msg);
    return outcome;
  }

  function unreachable(entry: ClusterEntry, error: string): ChatMessage {
    return renderNotice(
      `Could not read cluster ${entry.name}: ${error}`,
      ':electric_plug:',
      `Seeds: ${entry.def.seeds.join(', ') || '—'}. Nothing was changed.`,
    );
  }

  function ctx(entry: ClusterEntry, user: string) {
    return { cluster: entry.name, requestedBy: user, now: clock.now(), ttlMs: settings.planTtlMs };
  }

  /** The plan with its keys at risk counted on the live cluster (issue 14); as it was if they cannot be. */
  async function counted(plan: Plan, topology: Topology): Promise<Plan> {
    const r = clusters.resolve(plan.cluster);
    if (!r.ok) return plan;
    return assessKeysAtRisk(plan, topology, r.entry.commander).catch(() => plan);
  }

  /** Why there is no plan. "No plan needed" only when nothing is wrong: else it would read as all-clear. */
  function noPlanNote(o: Extract<PlanOutcome, { ok: false }>, findings: Finding[]): string {
    const wrong = findings.some((f) => f.severity !== 'info');
    return o.code === ErrorCodes.NothingToDo && !wrong
      ? `:white_check_mark: *No plan needed:* ${esc(o.reason)}`
      : `:no_entry: *No plan:* ${esc(o.reason)}`;
  }

  /** The "No plan" answer; for a shard gone for good, with the button that proposes the data-loss plan. */
  function noPlanMessage(
    topology: Topology,
    findings: Finding[],
    o: Extract<PlanOutcome, { ok: false }>,
  ): ChatMessage {
    const msg = withNote(renderStatus(topology, findings), noPlanNote(o, findings));
    if (!o.offersDataLoss) return msg;
    const blocks = [...msg.blocks];
    blocks.splice(Math.max(1, blocks.length - 1), 0, dataLossButton(topology.cluster));
    return fitMessage(msg.text, blocks);
  }

  function withNote(msg: ChatMessage, note: string): ChatMessage {
    const blocks = [...msg.blocks];
    blocks.splice(Math.max(1, blocks.length - 1), 0, section(note));
    return fitMessage(msg.text, blocks);
  }

  /** Stores a plan, posts it with its buttons, and remembers where it lives so any process can update it. */
  async function propose(
    req: CommandRequest,
    plan: PlanRecord['plan'],
    otherFindings: Finding[],
  ): Promise<string> {
    const rec = await store.create(plan, { now: clock.now() });
    await auditSafe({
      who: req.user,
      what: 'proposed',
      cluster: plan.cluster,
      plan: plan.id,
      outcome: 'proposed',
      detail: `${plan.title} (${plan.steps.length} steps, ${plan.risk} risk)`,
    });
    const ts = await postPublic(req, planLinked(rec, renderPlan(rec, { now: clock.now() })));
    if (ts) {
      const ref: ChatRef = { channel: req.channel, ts, threadTs: ts };
      await store
        .setChatRef(plan.id, ref)
        .catch((err) => log.warn({ err: asCodedError(err).message }, 'setChatRef failed'));
      await postCommandList(req.channel, ts, rec.plan);
      await postOtherFindings(req.channel, ts, otherFindings);
      await noteOtherOpenPlans(req.channel, ts, rec);
    }
    return 'proposed';
  }

  /**
   * Two approvable plans for one cluster (the watcher's and a `diagnose`, or two people asking) confuse an
   * incident: say so in the new plan's thread, naming the others. Nothing is withdrawn: the worker runs one
   * plan per cluster at a time and re-checks every step, so the second one approved stops or finds its steps done.
   */
  async function noteOtherOpenPlans(channel: string, threadTs: string, rec: PlanRecord): Promise<void> {
    try {
      const now = clock.now();
      const open = (await store.list({ cluster: rec.plan.cluster, status: 'proposed', limit: 10 })).filter(
        (r) => r.plan.id !== rec.plan.id && r.plan.expiresAt > now,
      );
      if (open.length === 0) return;
      const named = open
        .map(
          (r) =>
            `\`${esc(r.plan.id)}\` (${esc(clip(r.plan.title, 120))}; by ${mention(r.plan.requestedBy)} at ${timeOfDay(r.plan.createdAt)}${r.chatRef && r.chatRef.channel !== channel ? ` in <#${r.chatRef.channel}>` : ''})`,
        )
        .join(', ');
      const text = `:twisted_rightwards_arrows: ${open.length === 1 ? 'Another plan is' : `${open.length} other plans are`} still open for *${esc(rec.plan.cluster)}*: ${named}. Approve one: plans of a cluster run one at a time, and the next re-reads the cluster before each step, so it stops (or finds its steps done) once the first has acted. \`/redis cancel <plan-id>\` withdraws the one you do not want.`;
      await chat.post(channel, renderMrkdwn(text, `Other open plans for ${rec.plan.cluster}`), { threadTs });
    } catch (err) {
      log.warn({ err: asCodedError(err).message, plan: rec.plan.id }, 'could not list the other open plans');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Buttons

  async function handleAction(req: ActionRequest): Promise<void> {
    let outcome = 'ok';
    try {
      if (!channelAllowed(req.channel)) {
        outcome = 'channel-not-allowed';
        await answer(req.respond, req, refusal('redis-medic does not take commands in this channel.'));
        return;
      }
      if (req.actionId === ActionIds.acceptDataLoss) {
        // The button on a "No plan" answer: the same as typing the command (parsed, audited, answered alike).
        outcome = 'command';
        const cluster = req.value ? ` --cluster ${req.value}` : '';
        await handleCommand({
          user: req.user,
          channel: req.channel,
          text: `diagnose --accept-data-loss${cluster}`,
          respond: req.respond,
        });
        return;
      }
      if (req.actionId === ActionIds.share) {
        // A private diagnose shared: diagnose again, in the channel, as the person who clicked.
        const text = `diagnose ${req.value}`.trim();
        outcome = await dispatch(
          { kind: 'diagnose', ...(req.value ? { cluster: req.value } : {}) },
          { user: req.user, channel: req.channel, text, respond: req.respond },
        );
        return;
      }
      const planId = req.value;
      if (req.actionId !== ActionIds.approve && req.actionId !== ActionIds.reject) {
        outcome = 'unknown-action';
        await answer(
          req.respond,
          req,
          renderNotice('This button is not one redis-medic knows.', ':grey_question:'),
        );
        return;
      }
      const before = gate.checkAction(planId, null, req) ? null : await store.get(planId);
      const gated = gate.checkAction(planId, before, req);
      if (gated) {
        outcome = gated.outcome;
        // A value that is no plan id is not echoed into the audit.
        const what = gated.outcome === 'bad-plan-id' ? 'a value that is no plan id' : `plan ${planId}`;
        await gateRefused(req, gated, `${req.actionId} on ${what}`, before);
        return;
      }
      // A plan posted through respond (no ts at the time) learns its message here.
      if (before && !before.chatRef && req.messageTs) {
        await store
          .setChatRef(planId, {
            channel: req.channel,
            ts: req.messageTs,
            threadTs: req.threadTs ?? req.messageTs,
          })
          .catch(() => {});
      }
      if (req.actionId === ActionIds.approve) {
        const r = await approvals.approve(planId, req.user);
        if (!r.ok) {
          outcome = `refused-${r.code}`;
          await answer(req.respond, req, renderMrkdwn(`:no_entry: ${r.reason}`, r.reason));
          if (r.record) schedule(planId);
          return;
        }
        outcome = r.state;
        await answer(req.respond, req, renderMrkdwn(`:white_check_mark: ${r.message}`, r.message));
        if (r.state === 'approved') watchPlan(planId);
      } else {
        const r = await approvals.reject(planId, req.user);
        if (!r.ok) {
          outcome = `refused-${r.code}`;
          await answer(req.respond, req, renderMrkdwn(`:no_entry: ${r.reason}`, r.reason));
          if (r.record) schedule(planId);
          return;
        }
        outcome = 'rejected';
        await answer(req.respond, req, renderMrkdwn(`:no_entry: ${r.message}`, r.message));
      }
      schedule(planId);
    } catch (err) {
      outcome = 'error';
      log.error({ err: asCodedError(err).message, action: req.actionId, plan: req.value }, 'action failed');
      const what =
        req.actionId === ActionIds.approve
          ? 'Your approval could not be recorded'
          : req.actionId === ActionIds.reject
            ? 'Your rejection could not be recorded'
            : 'Could not do that';
      await answer(req.respond, req, await errorMessage(err, what));
    } finally {
      const known = (Object.values(ActionIds) as string[]).includes(req.actionId);
      commandsTotal.inc({ command: `button:${known ? req.actionId : 'other'}`, outcome });
    }
  }

  /** Answers a refusal of the gate (channel binding, rate limit, wrong message), audited when it says so. */
  async function gateRefused(
    req: { user: string; channel: string; respond: Respond },
    g: GateRefusal,
    detail: string,
    record?: PlanRecord | null,
  ) {
    if (g.audit)
      await auditSafe({
        who: req.user,
        what: 'refusal',
        ...(record ? { cluster: record.plan.cluster, plan: record.plan.id } : {}),
        outcome: g.outcome,
        detail: `in ${req.channel}: ${detail}`,
      });
    await answer(req.respond, req, refusal(g.text));
  }

  async function idle() {
    // Chains may grow while we wait: loop until a pass finds nothing new.
    for (let i = 0; i < 50; i++) {
      await Promise.all([...tracks.values()].map((t) => t.chain));
      if ([...tracks.values()].every((t) => !t.scheduled)) return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Keeping plan messages and threads up to date

  function track(planId: string): PlanTrack {
    let t = tracks.get(planId);
    if (!t) {
      t = { chain: Promise.resolve(), scheduled: false, progressDirty: false, summaryDue: false };
      tracks.set(planId, t);
    }
    return t;
  }

  /** Coalesces updates: at most one flush queued per plan, rendering the newest state when it runs. */
  function schedule(planId: string) {
    const t = track(planId);
    if (t.scheduled) return;
    t.scheduled = true;
    t.chain = t.chain.then(async () => {
      t.scheduled = false;
      try {
        await flush(planId, t);
      } catch (err) {
        log.warn({ err: asCodedError(err).message, plan: planId }, 'could not update the plan in chat');
      }
    });
  }

  async function flush(planId: string, t: PlanTrack) {
    const rec = await store.get(planId);
    if (!rec?.chatRef) return;
    const ref = rec.chatRef;
    const now = clock.now();
    const live = rec.status === 'running' ? t.live : undefined;
    await chat.update(
      ref.channel,
      ref.ts,
      planLinked(rec, renderPlan(rec, { now, ...(live ? { live } : {}) })),
    );
    if (t.progress && t.progressDirty) {
      t.progressDirty = false;
      const msg = renderProgress(rec.plan, t.progress);
      if (ref.progressTs) await chat.update(ref.channel, ref.progressTs, msg);
      else {
        const { ts } = await chat.post(ref.channel, msg, { threadTs: ref.threadTs ?? ref.ts });
        await store.setChatRef(planId, { ...ref, progressTs: ts });
      }
    }
    if (t.summaryDue && isTerminal(rec.status)) {
      t.summaryDue = false;
      // The latest ref (the progress message may have just been posted) and whether a summary is already there.
      const now = (await store.get(planId))?.chatRef ?? ref;
      if (!now.summaryTs) {
        const summary = await summarise(rec, t.progress);
        const { ts } = await chat.post(ref.channel, summary, { threadTs: ref.threadTs ?? ref.ts });
        await store.setChatRef(planId, { ...now, summaryTs: ts });
      }
      tracks.delete(planId);
    } else if (isTerminal(rec.status) && !t.summaryDue && !t.progress) {
      tracks.delete(planId);
    }
  }

  /** The thread's progress as the store records it (after lost events, or in a process that saw none). */
  function progressFromRecord(rec: PlanRecord): ProgressState {
    let p = initialProgress(rec.plan);
    for (const o of rec.progress.outcomes)
      p = applyExecEvent(p, {
        step: o.index,
        kind: o.outcome,
        detail: o.detail,
        ms: o.ms,
        at: rec.updatedAt,
      });
    if (rec.result)
      p = applyExecEvent(p, {
        step: -1,
        kind: 'finished',
        status: rec.result.status,
        detail: rec.result.detail,
        at: rec.result.finishedAt,
      });
    return p;
  }

  /** Steps the thread already shows as over. */
  const stepsOver = (p: ProgressState) =>
    p.steps.filter((x) => !['pending', 'running', 'waiting'].includes(x.state)).length;

  /**
   * Plans this process renders that have not ended, with what the store said of them last time. Events say
   * what happens as it happens; this re-reads the store every few seconds so a lost event (pub/sub drops
   * them while the control Redis restarts) never leaves a plan showing "running" after it ended.
   */
  const open = new Map<string, string>();
  function watchPlan(planId: string): void {
    if (!stopped && !open.has(planId)) open.set(planId, '');
  }
  async function reconcile(): Promise<void> {
    for (const [planId, seen] of [...open]) {
      if (stopped) return;
      let rec: PlanRecord | null;
      try {
        rec = await store.get(planId);
      } catch {
        return; // the control Redis does not answer: next round
      }
      if (!rec?.chatRef) {
        open.delete(planId);
        continue;
      }
      const ended = isTerminal(rec.status);
      if (ended && (rec.chatRef.summaryTs || !rec.result)) open.delete(planId);
      if (ended) unpicked.delete(planId);
      else await notePickup(rec);
      const sig = `${rec.status}|${rec.progress.outcomes.length}|${rec.approvals.length}|${rec.waitingBehind ?? ''}`;
      if (sig === seen) continue;
      // Another bot process renders it: look again next round (it takes over if that one goes quiet).
      if (!(await ownsPlan(planId))) continue;
      if (ended) open.delete(planId);
      else open.set(planId, sig);
      const t = track(planId);
      if (
        rec.progress.outcomes.length > (t.progress ? stepsOver(t.progress) : 0) ||
        (rec.result && !t.progress?.status)
      ) {
        t.progress = progressFromRecord(rec);
        t.progressDirty = true;
      }
      if (ended && rec.result && !rec.chatRef.summaryTs) t.summaryDue = true;
      schedule(planId);
    }
  }
  /**
   * With ROLE=bot, the plan runs on a separate worker. If none is running (scaled to zero, crash-looping, not
   * reaching the control Redis), an approved plan would sit "queued" without a word: say so in its thread, once.
   */
  const unpicked = new Set<string>();
  async function notePickup(rec: PlanRecord): Promise<void> {
    const after = settings.pickupWarnMs ?? 30_000;
    const id = rec.plan.id;
    if (after <= 0 || unpicked.has(id) || rec.waitingBehind || !['approved', 'queued'].includes(rec.status))
      return;
    const approvedAt = Math.max(...rec.approvals.map((a) => a.at));
    if (clock.now() - approvedAt < after || !rec.chatRef || !(await ownsPlan(id))) return;
    unpicked.add(id);
    const text = `:hourglass: Plan \`${esc(id)}\` was approved ${Math.round((clock.now() - approvedAt) / 1000)} s ago and no worker has started it. Workers are the processes with ROLE=worker (or ROLE=all): check that one is running and reaches the control Redis. The plan stays queued and runs, re-checking every step first, as soon as one does; \`/redis cancel ${esc(id)}\` withdraws it.`;
    log.warn({ plan: id, afterMs: after }, 'approved plan not picked up by any worker');
    await chat
      .post(rec.chatRef.channel, renderMrkdwn(text, `Plan ${id}: no worker yet`), {
        threadTs: rec.chatRef.threadTs ?? rec.chatRef.ts,
      })
      .catch((err) =>
        log.warn({ err: asCodedError(err).message, plan: id }, 'could not post the no-worker note'),
      );
  }

  let stopReconciler = () => {};
  let rounds = 0;

  async function summarise(rec: PlanRecord, progress?: ProgressState): Promise<ChatMessage> {
    const r = clusters.resolve(rec.plan.cluster);
    let after: Parameters<typeof renderSummary>[1]['after'];
    if (r.ok) {
      // Gossip takes a moment to agree after the last step: re-read until the picture settles (bounded).
      const settleUntil = clock.now() + (settings.settleMs ?? 10_000);
      // Fresh reads only: a scan started before the last step acted would show the cluster before it.
      let s = await scan(r.entry, { fresh: true });
      while (s.ok && !settled(s.findings) && clock.now() < settleUntil && !stopped) {
        await new Promise((res) => setTimeout(res, 500));
        s = await scan(r.entry, { fresh: true });
      }
      after = s.ok
        ? { findings: s.findings, healthy: !s.findings.some((f) => f.severity === 'critical') }
        : { findings: [], healthy: false, error: s.error };
    }
    return renderSummary(rec, { ...(progress ? { progress } : {}), ...(after ? { after } : {}) });
  }

  /** Does this process render this plan's progress? Fails open: a lost update is worse than a double one. */
  async function ownsPlan(planId: string): Promise<boolean> {
    if (!deps.claimPlan) return true;
    return deps.claimPlan(planId).catch(() => true);
  }

  function onExecEvent(e: ExecEvent) {
    if (stopped || !e || typeof e.plan !== 'string') return;
    const t = track(e.plan);
    void (async () => {
      if (!(await ownsPlan(e.plan))) {
        tracks.delete(e.plan);
        return;
      }
      if (!t.progress) {
        const rec = await store.get(e.plan).catch(() => null);
        if (!rec?.chatRef) {
          tracks.delete(e.plan);
          return;
        }
        if (!t.progress) t.progress = progressFromRecord(rec);
        if (!isTerminal(rec.status)) watchPlan(e.plan);
      }
      t.progress = applyExecEvent(t.progress, e);
      t.progressDirty = true;
      if (e.step >= 0) {
        const state: LiveStep['state'] = e.kind === 'started' ? 'running' : (e.kind as LiveStep['state']);
        t.live = { index: e.step, state, detail: e.detail };
      }
      if (e.kind === 'finished') t.summaryDue = true;
      schedule(e.plan);
    })().catch((err) => log.warn({ err: asCodedError(err).message }, 'exec event not applied'));
  }

  function onPlanEvent(e: PlanEvent) {
    if (stopped || !e || typeof e.plan !== 'string') return;
    if (e.kind === 'refused' || e.kind === 'proposed') return;
    void ownsPlan(e.plan).then((mine) => {
      if (!mine || stopped) return;
      if (['approved', 'queued', 'running', 'waiting'].includes(e.kind)) watchPlan(e.plan);
      schedule(e.plan);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The watcher speaks first (issue 9): the diagnose path without a request, posted by src/app/watch-poster.ts.

  /** A plan that shows a many-node command as one line gets the exact list in its thread (issue 19). */
  async function postCommandList(channel: string, ts: string, plan: PlanRecord['plan']) {
    if (!hasCollapsedCommands(plan)) return;
    await chat
      .post(channel, renderCommandList(plan), { threadTs: ts })
      .catch((err) => log.warn({ err: asCodedError(err).message }, 'could not post the command list'));
  }

  /** Findings a plan does not answer, in its thread (diagnose and the watcher alike). */
  async function postOtherFindings(channel: string, ts: string, otherFindings: Finding[]) {
    if (otherFindings.length === 0) return;
    const lines = otherFindings
      .slice(0, 15)
      .map((f) => `• *${f.severity}* ${esc(f.summary)}`)
      .join('\n');
    const more = otherFindings.length > 15 ? `\n_…${otherFindings.length - 15} more_` : '';
    await chat
      .post(channel, renderMrkdwn(`Also seen, not part of this plan:\n${lines}${more}`, 'Other findings'), {
        threadTs: ts,
      })
      .catch((err) => log.warn({ err: asCodedError(err).message }, 'could not post other findings'));
  }

  /** `lines` (mrkdwn) on top of a message; the first line becomes the notification text. */
  function withPreface(msg: ChatMessage, preface: string[] | undefined): ChatMessage {
    if (!preface?.length) return msg;
    const top = packLines(preface, 2, (k) => `_…${k} more lines left out._`).blocks;
    return fitMessage(`${preface[0]} ${msg.text}`, [...top, ...msg.blocks]);
  }

  const proposePlan: PlanProposer['proposePlan'] = async (input) => {
    const { channel, cluster, topology, findings, requestedBy, threadTs, preface } = input;
    const where = threadTs ? { threadTs } : undefined;
    const outcome = planForFindings(topology, findings, {
      cluster,
      requestedBy,
      now: clock.now(),
      ttlMs: settings.planTtlMs,
    });
    if (!outcome.ok) {
      const msg = statusLinked(cluster, noPlanMessage(topology, findings, outcome), findings);
      const { ts } = await chat.post(channel, withPreface(msg, preface), where);
      return { ts };
    }
    const rec = await store.create(await counted(outcome.plan, topology), { now: clock.now() });
    await auditSafe({
      who: requestedBy,
      what: 'proposed',
      cluster,
      plan: rec.plan.id,
      outcome: 'proposed',
      detail: `${rec.plan.title} (${rec.plan.steps.length} steps, ${rec.plan.risk} risk)`,
    });
    const msg = planLinked(rec, renderPlan(rec, { now: clock.now(), ...(preface ? { preface } : {}) }));
    const { ts } = await chat.post(
      channel,
      preface?.length ? fitMessage(`${preface[0]} ${msg.text}`, msg.blocks) : msg,
      where,
    );
    await store.setChatRef(rec.plan.id, {
      channel,
      ts,
      threadTs: threadTs ?? ts,
      ...(preface?.length ? { preface } : {}),
    });
    await postCommandList(channel, threadTs ?? ts, rec.plan);
    const addressed = new Set(rec.plan.findings.map((f) => `${f.code}|${f.summary}`));
    await postOtherFindings(
      channel,
      threadTs ?? ts,
      findings.filter((f) => !addressed.has(`${f.code}|${f.summary}`)),
    );
    return { ts, planId: rec.plan.id };
  };

  async function refreshPlan(planId: string): Promise<void> {
    schedule(planId);
    await idle();
  }

  const watchPoster: WatchPoster = createWatchPoster({
    chat,
    proposer: { proposePlan, refreshPlan, idle },
    store,
    clock,
    logger: log,
  });

  return {
    homeView: (user: string) => buildHomeView({ clusters, store, audit, clock, scan: (e) => scan(e) }, user),
    watchPoster,
    proposePlan,
    refreshPlan,
    reconcileRounds: () => rounds,
    handleCommand,
    handleAction,
    async start() {
      stopped = false;
      unsubscribers.push(await deps.bus.subscribe(onExecEvent));
      unsubscribers.push(await deps.bus.subscribePlan(onPlanEvent));
      const period = settings.reconcileMs ?? 3000;
      if (period > 0) {
        // Plans under way when this process (re)started, and plans that ended while no bot was there to say
        // so (within the hour): their message and thread are finished from here.
        const now = clock.now();
        const [underway, ended] = await Promise.all([
          store.list({ status: ['approved', 'queued', 'running'], limit: 200 }),
          store.list({ status: ['succeeded', 'failed', 'stale', 'cancelled'], limit: 50 }),
        ]).catch(() => [[], []] as PlanRecord[][]);
        for (const r of underway) watchPlan(r.plan.id);
        for (const r of ended)
          if (r.result && r.chatRef && !r.chatRef.summaryTs && now - r.result.finishedAt < 3600_000)
            watchPlan(r.plan.id);
        stopReconciler = every(period, () => {
          rounds += 1;
          return open.size === 0
            ? Promise.resolve()
            : reconcile().catch((err) =>
                log.warn({ err: asCodedError(err).message }, 'plan reconcile failed'),
              );
        });
      }
    },
    async stop() {
      stopped = true;
      stopReconciler();
      open.clear();
      unpicked.clear();
      for (const u of unsubscribers.splice(0)) await u().catch(() => {});
      await idle();
    },
    idle,
  };
}
