/** The plan message: posted when a plan is proposed, then updated in place as its status changes. */
import type { PlanRecord } from '../../core/plan-record.ts';
import { expectedDurationLine } from '../../core/plans/heal-time.ts';
import { formatKeysAtRisk } from '../../core/risk/format.ts';
import type { Finding, Step } from '../../core/types.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import { commandLines, hasCollapsedCommands } from './commands.ts';
import {
  codeBlock,
  context,
  divider,
  esc,
  fitMessage,
  header,
  packLines,
  riskLabel,
  riskWords,
  section,
} from './kit.ts';
import {
  acceptsVotes,
  type LiveStep,
  planFacts,
  planStatusLine,
  STEP_EMOJI,
  stepState,
} from './plan-status.ts';
import { riskWarning, voteButtons } from './plan-votes.ts';
import { findingLines } from './status.ts';

function stepBlockText(
  r: PlanRecord,
  step: Step,
  i: number,
  live: LiveStep | undefined,
  maxCommands: number,
): string {
  const n = r.plan.steps.length;
  const state = stepState(r, i, live);
  const mark = state ? `${STEP_EMOJI[state] ?? ''} ` : '';
  const atRisk = step.keysAtRisk ? ` · ${esc(formatKeysAtRisk(step.keysAtRisk))}` : '';
  const head = `${mark}*${i + 1}/${n}* ${esc(step.sentence)}\n${riskLabel(step.risk)} · \`${step.kind}\`${atRisk}`;
  const lines = commandLines(step);
  const cmds =
    lines.length > 0
      ? `\n${codeBlock(lines, maxCommands, (k) => `…and ${k} more command${k === 1 ? '' : 's'} (every one in the thread)`)}`
      : '';
  return `${head}${cmds}`;
}

/**
 * The plan message (posted by `diagnose` / `failover` / …, then updated in place as the status changes):
 * status line, findings, every step with its exact commands and risk, and the buttons while votes are open.
 */
export function renderPlan(
  r: PlanRecord,
  opts: { now: number; live?: LiveStep; preface?: string[] },
): ChatMessage {
  const { plan } = r;
  const n = plan.steps.length;
  const preface = opts.preface ?? r.chatRef?.preface;
  const blocks: Block[] = [];
  // The watcher's incident summary (already mrkdwn) goes first: it is what the channel reads.
  if (preface?.length) blocks.push(...packLines(preface, 2, (k) => `_…${k} more lines left out._`).blocks);
  blocks.push(header(`Plan ${plan.id} · ${plan.cluster} · ${riskWords(plan.risk)}`));
  blocks.push(section(`*${esc(plan.title)}*\n${planStatusLine(r, opts.now, opts.live)}`));
  blocks.push(planFacts(r));
  blocks.push(context(esc(expectedDurationLine(plan))));
  const warn = riskWarning(plan);
  if (warn) blocks.push(section(warn));
  // Risk and buttons right under the summary: on a phone the steps below are one scroll away (issue 19).
  if (acceptsVotes(r, opts.now)) blocks.push(voteButtons(plan, r.approvalsNeeded));
  if (plan.findings.length > 0) {
    const lines = findingLines(
      plan.findings.map((f) => ({ ...f, nodes: [], evidence: [] }) as Finding),
      0,
    );
    blocks.push(...packLines(lines, 2, (k) => `_…${k} more findings left out._`).blocks);
  }
  blocks.push(divider());
  // Budget: preface 2, header..divider ≤ 8, buttons + context 2: at most 36 step blocks (48 of 50).
  const maxStepBlocks = 36;
  if (n <= maxStepBlocks) {
    const cmdPerStep = n > 20 ? 2 : n > 8 ? 4 : 8;
    plan.steps.forEach((s, i) => {
      blocks.push(section(stepBlockText(r, s, i, opts.live, cmdPerStep)));
    });
  } else {
    const lines = plan.steps.map((s, i) => {
      const st = stepState(r, i, opts.live);
      return `${st ? `${STEP_EMOJI[st] ?? ''} ` : ''}*${i + 1}/${n}* ${esc(s.sentence)} · ${riskLabel(s.risk)} · ${s.commands.length} cmd`;
    });
    blocks.push(
      ...packLines(lines, maxStepBlocks, (k) => `_…${k} more steps left out (${n} in all)._`).blocks,
    );
  }
  blocks.push(
    context(
      `Plan \`${esc(plan.id)}\` · made from fingerprint \`${esc(plan.fingerprint.slice(0, 12))}\` · the commands above${hasCollapsedCommands(plan) ? ' (each one in full in the thread)' : ''} are exactly what will be sent · before each step the worker re-reads the cluster and stops if it moved on`,
    ),
  );
  const text = `Plan ${plan.id} on ${plan.cluster} (${riskWords(plan.risk)}): ${plan.title} — ${r.status}`;
  return fitMessage(text, blocks);
}
