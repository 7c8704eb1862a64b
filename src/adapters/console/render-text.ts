/**
 * Block Kit → terminal text. The console shows exactly the messages Slack would show, drawn with
 * plain characters and (when the terminal allows it) ANSI colours. Pure: no I/O.
 */
import { paint } from './ansi.ts';
import type {
  Block,
  BlockElement,
  ConfirmObject,
  MessageLike,
  NumberedButton,
  RenderedMessage,
  RenderOptions,
  TextObject,
} from './block-types.ts';
import { EMOJI, TONE_STYLE } from './emoji.ts';
import { renderFields } from './fields.ts';
import { plain, renderMrkdwn, textOf } from './mrkdwn.ts';
import { renderRichText } from './rich-text.ts';

export { paint, shouldColor, stripAnsi, visibleWidth } from './ansi.ts';
export type * from './block-types.ts';
export { wrap } from './fields.ts';
export { renderMrkdwn } from './mrkdwn.ts';

function flattenConfirm(c: ConfirmObject): NonNullable<NumberedButton['confirm']> {
  return {
    title: plain(c.title) || 'Are you sure?',
    text: plain(c.text),
    confirm: plain(c.confirm) || 'Yes',
    deny: plain(c.deny) || 'Cancel',
  };
}

function buttonLabel(b: NumberedButton, color: boolean): string {
  const label = `[${b.index}] ${b.label}`;
  if (b.style === 'primary') return paint(label, ['bold', 'green'], color);
  if (b.style === 'danger') return paint(label, ['bold', 'red'], color);
  return paint(label, 'bold', color);
}

/** What rendering one message carries from block to block: the options and the buttons numbered so far. */
interface RenderState {
  color: boolean;
  width: number;
  buttons: NumberedButton[];
}

function addButton(state: RenderState, el: BlockElement): NumberedButton {
  const b: NumberedButton = {
    index: state.buttons.length + 1,
    label: plain(el.text as TextObject | undefined) || String(el.action_id ?? 'button'),
    actionId: String(el.action_id ?? ''),
    value: String(el.value ?? ''),
  };
  if (el.style) b.style = el.style;
  if (el.url) b.url = el.url;
  if (el.confirm) b.confirm = flattenConfirm(el.confirm);
  state.buttons.push(b);
  return b;
}

/** An element of a section, context or actions block as text; a button gets the next number. */
function elementText(state: RenderState, el: BlockElement): string {
  if (el.type === 'button') return buttonLabel(addButton(state, el), state.color);
  if (el.type === 'image') return `[image: ${el.alt_text ?? ''}]`;
  if (el.type === 'mrkdwn' || el.type === 'plain_text')
    return textOf({ type: el.type, text: String(el.text ?? '') }, state.color).join(' ');
  if (el.type === 'overflow') return '[…]';
  const ph = plain(el.placeholder);
  return `[${el.type}${ph ? `: ${ph}` : ''}]`;
}

function renderHeader(block: Block, color: boolean): string {
  const t = plain(block.text);
  const lead = /^\s*:([a-z0-9_+-]+):/.exec(block.text?.text ?? '')?.[1];
  const tone = lead ? EMOJI[lead]?.tone : undefined;
  return paint(t, tone ? ['bold', TONE_STYLE[tone]] : ['bold', 'underline'], color);
}

function renderSection(state: RenderState, block: Block): string[] {
  const body = textOf(block.text, state.color);
  if (block.accessory) {
    const acc = elementText(state, block.accessory);
    if (body.length === 0) body.push(acc);
    else body[0] = `${body[0]}   ${acc}`;
  }
  if (block.fields && block.fields.length > 0)
    body.push(...renderFields(block.fields, state.color, state.width));
  return body;
}

function renderBlock(state: RenderState, block: Block): string[] {
  const { color, width } = state;
  switch (block.type) {
    case 'header':
      return [renderHeader(block, color)];
    case 'section':
      return renderSection(state, block);
    case 'context': {
      const parts = (block.elements ?? []).map((el) => elementText(state, el)).filter((p) => p !== '');
      return parts
        .join('  ·  ')
        .split('\n')
        .map((l) => paint(l, 'dim', color));
    }
    case 'divider':
      return [paint('─'.repeat(Math.min(width, 60)), 'dim', color)];
    case 'actions':
      return [(block.elements ?? []).map((el) => elementText(state, el)).join('  ')];
    case 'image':
      return [`[image: ${plain(block.title) || block.alt_text || ''}]`];
    case 'rich_text':
      return renderRichText(block.elements, color);
    default:
      return [paint(`[${block.type} block]`, 'dim', color)];
  }
}

/**
 * Renders one message. Buttons are numbered from 1 in the order they appear, so `[1] Approve  [2] Reject`
 * can be pressed by typing `1` or `2`.
 */
export function renderMessage(msg: MessageLike, opts: RenderOptions): RenderedMessage {
  const state: RenderState = { color: opts.color, width: opts.width ?? 80, buttons: [] };
  const lines: string[] = [];
  const blocks = (msg.blocks ?? []) as Block[];
  if (blocks.length === 0 && msg.text) lines.push(...renderMrkdwn(msg.text, opts.color));
  for (const block of blocks) lines.push(...renderBlock(state, block));
  return { text: lines.join('\n'), buttons: state.buttons };
}
