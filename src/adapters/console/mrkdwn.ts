/** Slack mrkdwn → terminal lines: emoji, links, bold / italic / strike, inline code and code blocks. */
import { paint, stripAnsi } from './ansi.ts';
import type { TextObject } from './block-types.ts';
import { EMOJI, TONE_STYLE, type Tone, toneOf } from './emoji.ts';

function unescapeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** `<https://x|label>` → `label (https://x)`, `<@U1>` → `@U1`, `<#C1|name>` → `#name`, `<!here>` → `@here`. */
function renderLinks(text: string): string {
  return text.replace(/<([^<>\s][^<>]*)>/g, (_all, inner: string) => {
    const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
    if (target.startsWith('@')) return label ? `@${label}` : target;
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    if (target.startsWith('!')) {
      const name = target.slice(1).split('^')[0];
      return label ?? `@${name}`;
    }
    if (/^(https?|mailto):/.test(target)) return label && label !== target ? `${label} (${target})` : target;
    return `<${inner}>`;
  });
}

interface InlineResult {
  text: string;
  tone?: Tone;
}

/** One line of mrkdwn (outside code blocks) → terminal text. */
function renderInline(line: string, color: boolean): InlineResult {
  let tone: Tone | undefined;
  // Inline code first, protected from the other rules.
  const codes: string[] = [];
  let out = line.replace(/`([^`\n]+)`/g, (_all, code: string) => {
    codes.push(code);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = out.replace(/:([a-z0-9_+-]+):/g, (all, name: string) => {
    const e = EMOJI[name];
    if (!e) return all;
    if (e.tone && tone === undefined) tone = e.tone;
    return e.tone ? paint(e.symbol, TONE_STYLE[e.tone], color) : e.symbol;
  });
  out = renderLinks(out);
  out = out.replace(
    /(^|[\s([{>"'])\*([^*\n]+?)\*(?=$|[\s)\]}.,:;!?"'<])/g,
    (_a, pre: string, body: string) => {
      return pre + paint(body, 'bold', color);
    },
  );
  out = out.replace(
    /(^|[\s([{>"'])_([^\s_][^\n]*?)_(?=$|[\s)\]}.,:;!?"'<])/g,
    (_a, pre: string, body: string) => {
      return pre + paint(body, 'italic', color);
    },
  );
  out = out.replace(/(^|[\s([{>"'])~([^~\n]+?)~(?=$|[\s)\]}.,:;!?"'<])/g, (_a, pre: string, body: string) => {
    return pre + paint(body, 'strike', color);
  });
  out = out.replace(/\u0000(\d+)\u0000/g, (_a, i: string) => paint(codes[Number(i)] ?? '', 'cyan', color));
  out = unescapeEntities(out);
  if (out.startsWith('&gt; ') || out.startsWith('> ')) out = `│ ${out.replace(/^(&gt;|>) /, '')}`;
  return tone ? { text: out, tone } : { text: out };
}

/**
 * mrkdwn → lines. Code blocks (```…```) become an indented box, untouched by the inline rules.
 * Lines that start with a severity marker are coloured whole.
 */
export function renderMrkdwn(text: string, color: boolean): string[] {
  const out: string[] = [];
  const tones = new Map<number, Tone>();
  const parts = text.split('```');
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      const body = unescapeEntities(part.replace(/^\n/, '').replace(/\n$/, ''));
      for (const l of body.split('\n')) out.push(codeLine(l, color));
      return;
    }
    // Text around a code block: drop the newline that only separated it from the fence.
    let seg = part;
    if (i > 0) seg = seg.replace(/^\n/, '');
    if (i < parts.length - 1) seg = seg.replace(/\n$/, '');
    if (seg === '' && (i > 0 || i < parts.length - 1)) return;
    for (const raw of seg.split('\n')) {
      const r = renderInline(raw, color);
      if (r.tone) tones.set(out.length, r.tone);
      out.push(r.text);
    }
  });
  return out.map((line, i) => {
    const tone = toneOf(line, tones, i);
    if (!tone || !color || line.startsWith(paint('  │ ', 'dim', color))) return line;
    return paint(line, TONE_STYLE[tone], color);
  });
}

/** One line of a code block: a dim bar, then the code in cyan. */
export function codeLine(line: string, color: boolean): string {
  return paint('  │ ', 'dim', color) + paint(line, 'cyan', color);
}

/** A text object (or a mrkdwn string) → lines. */
export function textOf(obj: TextObject | string | undefined, color: boolean): string[] {
  if (obj === undefined) return [];
  if (typeof obj === 'string') return renderMrkdwn(obj, color);
  if (obj.type === 'plain_text') {
    return obj.text
      .split('\n')
      .map((l) => l.replace(/:([a-z0-9_+-]+):/g, (all, name: string) => EMOJI[name]?.symbol ?? all));
  }
  return renderMrkdwn(obj.text, color);
}

/** A text object as one uncoloured line. */
export function plain(obj: TextObject | string | undefined): string {
  if (obj === undefined) return '';
  return stripAnsi(textOf(obj, false).join(' '));
}
