/** How the console tells that a typed or scripted line failed. */
import type { ChatMessage, SectionBlock } from '../../app/chat-port.ts';

export class LineFailure extends Error {
  constructor(
    message: string,
    /** The bot already said so on screen: an interactive console need not repeat it. */
    readonly shown = false,
  ) {
    super(message);
  }
}

/** Fails the line being run. */
export function fail(msg: string): never {
  throw new LineFailure(msg);
}

/**
 * The chat service never throws: every path answers. A script learns that a line failed from the answer's
 * leading emoji, the renderers' convention for bad input, refusals, an unreachable cluster and errors.
 */
const FAILURE_MARKERS = [
  ':thinking_face:',
  ':no_entry:',
  ':electric_plug:',
  ':warning: Something went wrong',
];

export function isFailureAnswer(msg: ChatMessage): boolean {
  const section = msg.blocks.find((b): b is SectionBlock => b.type === 'section' && b.text !== undefined);
  const first = section?.text?.text ?? msg.text;
  return FAILURE_MARKERS.some((m) => first.trimStart().startsWith(m));
}
