import { ErrorCodes } from '../../core/errors.ts';
import type { Finding, PlanOutcome, Topology } from '../../core/types.ts';
import type { ChatMessage } from '../chat-port.ts';
import { dataLossButton, esc, fitMessage, renderStatus, section } from '../messages/index.ts';

/** Why there is no plan. "No plan needed" only when nothing is wrong: else it would read as all-clear. */
function noPlanNote(o: Extract<PlanOutcome, { ok: false }>, findings: Finding[]): string {
  const wrong = findings.some((f) => f.severity !== 'info');
  return o.code === ErrorCodes.NothingToDo && !wrong
    ? `:white_check_mark: *No plan needed:* ${esc(o.reason)}`
    : `:no_entry: *No plan:* ${esc(o.reason)}`;
}

/** The "No plan" answer; for a shard gone for good, with the button that proposes the data-loss plan. */
export function noPlanMessage(
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
