/** rich_text blocks → lines: sections, lists, quotes and preformatted parts, kept simple. */
import { paint } from './ansi.ts';
import type { BlockElement } from './block-types.ts';
import { EMOJI } from './emoji.ts';
import { codeLine } from './mrkdwn.ts';

/** One rich-text element (styled text, link, mention, emoji) as terminal text. */
function inlineElement(e: BlockElement, color: boolean): string {
  if (e.type === 'text') {
    const style = (e.style ?? {}) as Record<string, boolean>;
    let t = String(e.text ?? '');
    if (style.code) t = paint(t, 'cyan', color);
    if (style.bold) t = paint(t, 'bold', color);
    if (style.italic) t = paint(t, 'italic', color);
    return t;
  }
  if (e.type === 'link') return e.text ? `${String(e.text)} (${e.url})` : String(e.url ?? '');
  if (e.type === 'user') return `@${String(e.user_id ?? '')}`;
  if (e.type === 'channel') return `#${String(e.channel_id ?? '')}`;
  if (e.type === 'emoji') return EMOJI[String(e.name)]?.symbol ?? `:${String(e.name)}:`;
  return '';
}

function inline(els: BlockElement[] | undefined, color: boolean): string {
  return (els ?? []).map((e) => inlineElement(e, color)).join('');
}

export function renderRichText(elements: BlockElement[] | undefined, color: boolean): string[] {
  const out: string[] = [];
  for (const el of elements ?? []) {
    if (el.type === 'rich_text_section') out.push(...inline(el.elements, color).split('\n'));
    else if (el.type === 'rich_text_preformatted')
      for (const l of inline(el.elements, color).split('\n')) out.push(codeLine(l, color));
    else if (el.type === 'rich_text_quote')
      for (const l of inline(el.elements, color).split('\n')) out.push(`│ ${l}`);
    else if (el.type === 'rich_text_list')
      (el.elements ?? []).forEach((item, i) => {
        const bullet = (el.style as string | undefined) === 'ordered' ? `${i + 1}.` : '•';
        out.push(`  ${bullet} ${inline(item.elements, color)}`);
      });
  }
  return out;
}
