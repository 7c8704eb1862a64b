/** The plan's first line when its pods belong to a Redis operator (issue 19, part 5). */

import { operatorLine } from '../../core/operators.ts';
import type { Plan } from '../../core/types.ts';
import type { ChatMessage } from '../chat-port.ts';
import { clip, fitMessage, section } from './kit.ts';

export function withOperatorLine(msg: ChatMessage, plan: Plan): ChatMessage {
  if (!plan.operator) return msg;
  const line = operatorLine(plan.operator);
  const blocks = msg.blocks.filter((b) => b.block_id !== 'operator');
  return fitMessage(`Operator ${plan.operator.name} manages these pods: pause it first. ${msg.text}`, [
    { ...section(`:construction: *${clip(line, 2900)}*`), block_id: 'operator' },
    ...blocks,
  ]);
}
