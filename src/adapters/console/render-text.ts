/**
 * Block Kit → terminal text. The console shows exactly the messages Slack would show, drawn with
 * plain characters and (when the terminal allows it) ANSI colours. Pure: no I/O.
 */

/** The parts of Block Kit we read. Unknown block and element types are shown as a one-line placeholder. */
export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export interface ConfirmObject {
  title?: TextObject;
  text?: TextObject;
  confirm?: TextObject;
  deny?: TextObject;
  style?: 'primary' | 'danger';
}

export interface BlockElement {
  type: string;
  text?: TextObject | string;
  action_id?: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmObject;
  alt_text?: string;
  placeholder?: TextObject;
  elements?: BlockElement[];
  [key: string]: unknown;
}

export interface Block {
  type: string;
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: BlockElement;
  elements?: BlockElement[];
  alt_text?: string;
  title?: TextObject;
  [key: string]: unknown;
}

/** A chat message as the ChatPort carries it. */
export interface MessageLike {
  text?: string;
  blocks?: Block[] | readonly unknown[];
}

/** A button the person can press by typing its number. */
export interface NumberedButton {
  /** 1-based, as printed: `[1] Approve`. */
  index: number;
  label: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  url?: string;
  /** The confirm dialog, flattened to text: asked as a y/N question. */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export interface RenderOptions {
  /** ANSI colours on or off. */
  color: boolean;
  /** Width used for dividers and wrapping of columns (default 80). */
  width?: number;
}

export interface RenderedMessage {
  /** Lines, without a trailing newline. */
  text: string;
  buttons: NumberedButton[];
}

// --- colours -------------------------------------------------------------------------------------

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  italic: '\x1b[3m',
  underline: '\x1b[4m',
  strike: '\x1b[9m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;

type Style = keyof typeof ANSI;

export function paint(text: string, style: Style | Style[], color: boolean): string {
  if (!color || text === '') return text;
  const codes = (Array.isArray(style) ? style : [style]).map((s) => ANSI[s]).join('');
  // Re-open the style after any nested reset so an inner `code` span does not end the outer colour.
  return `${codes}${text.split(ANSI.reset).join(ANSI.reset + codes)}${ANSI.reset}`;
}

const ANSI_RE = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

/** Printed width (ANSI codes do not count; wide characters are rare in our output and counted as 1). */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

function padEnd(text: string, width: number): string {
  const w = visibleWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Should we colour? Not when NO_COLOR is set, not when the output is not a terminal. */
export function shouldColor(
  stream: { isTTY?: boolean } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream?.isTTY === true;
}

// --- emoji and severity --------------------------------------------------------------------------

type Tone = 'critical' | 'warning' | 'info' | 'ok';

/** Slack shortcodes we print as a symbol; the tone colours the line they start. */
const EMOJI: Record<string, { symbol: string; tone?: Tone }> = {
  red_circle: { symbol: '●', tone: 'critical' },
  rotating_light: { symbol: '‼', tone: 'critical' },
  x: { symbol: '✖', tone: 'critical' },
  heavy_multiplication_x: { symbol: '✖', tone: 'critical' },
  no_entry: { symbol: '⛔', tone: 'critical' },
  fire: { symbol: '‼', tone: 'critical' },
  boom: { symbol: '‼', tone: 'critical' },
  large_orange_circle: { symbol: '●', tone: 'warning' },
  large_yellow_circle: { symbol: '●', tone: 'warning' },
  warning: { symbol: '⚠', tone: 'warning' },
  large_blue_circle: { symbol: '●', tone: 'info' },
  information_source: { symbol: 'ℹ', tone: 'info' },
  large_green_circle: { symbol: '●', tone: 'ok' },
  white_check_mark: { symbol: '✔', tone: 'ok' },
  heavy_check_mark: { symbol: '✔', tone: 'ok' },
  white_circle: { symbol: '○' },
  black_circle: { symbol: '●' },
  hourglass: { symbol: '⧗' },
  hourglass_flowing_sand: { symbol: '⧗' },
  arrow_right: { symbol: '→' },
  arrow_forward: { symbol: '▶' },
  arrows_counterclockwise: { symbol: '↻' },
  repeat: { symbol: '↻' },
  stethoscope: { symbol: '+' },
  mag: { symbol: '?' },
  lock: { symbol: '🔒' },
  bust_in_silhouette: { symbol: '@' },
  double_vertical_bar: { symbol: '‖' },
  no_entry_sign: { symbol: '⊘', tone: 'critical' },
  grey_question: { symbol: '?' },
  question: { symbol: '?' },
  skull: { symbol: '☠', tone: 'critical' },
  heavy_minus_sign: { symbol: '–' },
  wastebasket: { symbol: '⌫' },
  link: { symbol: '⇄' },
  gear: { symbol: '⚙' },
  clipboard: { symbol: '▤' },
  memo: { symbol: '▤' },
  spiral_note_pad: { symbol: '▤' },
  ballot_box_with_check: { symbol: '☑', tone: 'ok' },
  thumbsup: { symbol: '+1' },
  '+1': { symbol: '+1' },
  thumbsdown: { symbol: '-1' },
  '-1': { symbol: '-1' },
  tada: { symbol: '*' },
  zap: { symbol: '⚡' },
  snowflake: { symbol: '❄' },
  stopwatch: { symbol: '⏱' },
  timer_clock: { symbol: '⏱' },
  alarm_clock: { symbol: '⏰' },
  thinking_face: { symbol: '?' },
  inbox_tray: { symbol: '⇲' },
  white_small_square: { symbol: '▫' },
  fast_forward: { symbol: '»' },
  eyes: { symbol: '◉' },
  pushpin: { symbol: '›' },
  bell: { symbol: '♪' },
  ambulance: { symbol: '+' },
  broom: { symbol: '~' },
  heavy_plus_sign: { symbol: '+' },
  electric_plug: { symbol: '⌁', tone: 'warning' },
};

const TONE_STYLE: Record<Tone, Style> = { critical: 'red', warning: 'yellow', info: 'cyan', ok: 'green' };

/** Words that mark a finding's severity when no emoji does (`*critical*`, `CRITICAL:`, `[warning]`). */
const SEVERITY_WORD_RE = /^(?:[-•*\s[]|\x1b\[[0-9;]*m)*(critical|warning|info)\b/i;

/** The tone of a rendered line: from the first severity emoji it starts with, or a leading severity word. */
function toneOf(line: string, tones: Map<number, Tone>, lineIndex: number): Tone | undefined {
  const fromEmoji = tones.get(lineIndex);
  if (fromEmoji) return fromEmoji;
  const m = SEVERITY_WORD_RE.exec(stripAnsi(line));
  if (!m) return undefined;
  return m[1]!.toLowerCase() as Tone;
}

// --- mrkdwn --------------------------------------------------------------------------------------

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
      for (const l of body.split('\n')) out.push(paint('  │ ', 'dim', color) + paint(l, 'cyan', color));
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

function textOf(obj: TextObject | string | undefined, color: boolean): string[] {
  if (obj === undefined) return [];
  if (typeof obj === 'string') return renderMrkdwn(obj, color);
  if (obj.type === 'plain_text') {
    return obj.text
      .split('\n')
      .map((l) => l.replace(/:([a-z0-9_+-]+):/g, (all, name: string) => EMOJI[name]?.symbol ?? all));
  }
  return renderMrkdwn(obj.text, color);
}

function plain(obj: TextObject | string | undefined): string {
  if (obj === undefined) return '';
  return stripAnsi(textOf(obj, false).join(' '));
}

// --- blocks --------------------------------------------------------------------------------------

/** Fields side by side, two per row as Slack shows them, the left column padded to one width. */
function renderFields(fields: TextObject[], color: boolean, width: number): string[] {
  const colWidth = Math.max(20, Math.floor((width - 3) / 2));
  // A cell wider than its column is word-wrapped (its styling dropped): columns stay columns.
  const cells = fields.map((f) =>
    textOf(f, color).flatMap((l) => (visibleWidth(l) <= colWidth ? [l] : wrap(stripAnsi(l), colWidth))),
  );
  const rows: string[][][] = [];
  for (let i = 0; i < cells.length; i += 2) rows.push(cells.slice(i, i + 2));
  const leftWidth = Math.min(
    Math.max(...rows.map((r) => Math.max(0, ...(r[0] ?? []).map(visibleWidth)))),
    colWidth,
  );
  const out: string[] = [];
  for (const row of rows) {
    const left = row[0] ?? [];
    const right = row[1] ?? [];
    const n = Math.max(left.length, right.length);
    for (let i = 0; i < n; i++) {
      const l = left[i] ?? '';
      const r = right[i] ?? '';
      out.push(r === '' ? l : `${padEnd(l, leftWidth)}   ${r}`);
    }
  }
  return out;
}

/** Word-wraps plain text to `width` columns; a word longer than the width is cut. */
export function wrap(text: string, width: number): string[] {
  const indent = /^\s*/.exec(text)?.[0] ?? '';
  const words = text.trim().split(/\s+/);
  const out: string[] = [];
  let line = indent;
  for (let w of words) {
    while (w.length > width - indent.length) {
      if (line.trim()) out.push(line);
      out.push(indent + w.slice(0, width - indent.length));
      w = w.slice(width - indent.length);
      line = indent;
    }
    if (line.trim() === '') line = indent + w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = indent + w;
    }
  }
  if (line.trim() || out.length === 0) out.push(line);
  return out;
}

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

/** Rich text (rich_text blocks): sections, lists, quotes and preformatted parts, kept simple. */
function renderRichText(elements: BlockElement[] | undefined, color: boolean): string[] {
  const out: string[] = [];
  const inline = (els: BlockElement[] | undefined): string =>
    (els ?? [])
      .map((e) => {
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
      })
      .join('');
  for (const el of elements ?? []) {
    if (el.type === 'rich_text_section') out.push(...inline(el.elements).split('\n'));
    else if (el.type === 'rich_text_preformatted')
      for (const l of inline(el.elements).split('\n'))
        out.push(paint('  │ ', 'dim', color) + paint(l, 'cyan', color));
    else if (el.type === 'rich_text_quote')
      for (const l of inline(el.elements).split('\n')) out.push(`│ ${l}`);
    else if (el.type === 'rich_text_list')
      (el.elements ?? []).forEach((item, i) => {
        const bullet = (el.style as string | undefined) === 'ordered' ? `${i + 1}.` : '•';
        out.push(`  ${bullet} ${inline(item.elements)}`);
      });
  }
  return out;
}

/**
 * Renders one message. Buttons are numbered from 1 in the order they appear, so `[1] Approve  [2] Reject`
 * can be pressed by typing `1` or `2`.
 */
export function renderMessage(msg: MessageLike, opts: RenderOptions): RenderedMessage {
  const color = opts.color;
  const width = opts.width ?? 80;
  const lines: string[] = [];
  const buttons: NumberedButton[] = [];

  const addButton = (el: BlockElement): NumberedButton => {
    const b: NumberedButton = {
      index: buttons.length + 1,
      label: plain(el.text as TextObject | undefined) || String(el.action_id ?? 'button'),
      actionId: String(el.action_id ?? ''),
      value: String(el.value ?? ''),
    };
    if (el.style) b.style = el.style;
    if (el.url) b.url = el.url;
    if (el.confirm) b.confirm = flattenConfirm(el.confirm);
    buttons.push(b);
    return b;
  };

  const elementText = (el: BlockElement): string => {
    if (el.type === 'button') return buttonLabel(addButton(el), color);
    if (el.type === 'image') return `[image: ${el.alt_text ?? ''}]`;
    if (el.type === 'mrkdwn' || el.type === 'plain_text')
      return textOf({ type: el.type, text: String(el.text ?? '') }, color).join(' ');
    if (el.type === 'overflow') return '[…]';
    const ph = plain(el.placeholder);
    return `[${el.type}${ph ? `: ${ph}` : ''}]`;
  };

  const blocks = (msg.blocks ?? []) as Block[];
  if (blocks.length === 0 && msg.text) lines.push(...renderMrkdwn(msg.text, color));

  for (const block of blocks) {
    switch (block.type) {
      case 'header': {
        const t = plain(block.text);
        const lead = /^\s*:([a-z0-9_+-]+):/.exec(block.text?.text ?? '')?.[1];
        const tone = lead ? EMOJI[lead]?.tone : undefined;
        lines.push(paint(t, tone ? ['bold', TONE_STYLE[tone]] : ['bold', 'underline'], color));
        break;
      }
      case 'section': {
        const body = textOf(block.text, color);
        if (block.accessory) {
          const acc = elementText(block.accessory);
          if (body.length === 0) body.push(acc);
          else body[0] = `${body[0]}   ${acc}`;
        }
        lines.push(...body);
        if (block.fields && block.fields.length > 0) lines.push(...renderFields(block.fields, color, width));
        break;
      }
      case 'context': {
        const parts = (block.elements ?? []).map(elementText).filter((p) => p !== '');
        const joined = parts.join('  ·  ');
        for (const l of joined.split('\n')) lines.push(paint(l, 'dim', color));
        break;
      }
      case 'divider':
        lines.push(paint('─'.repeat(Math.min(width, 60)), 'dim', color));
        break;
      case 'actions': {
        const parts = (block.elements ?? []).map(elementText);
        lines.push(parts.join('  '));
        break;
      }
      case 'image':
        lines.push(`[image: ${plain(block.title) || block.alt_text || ''}]`);
        break;
      case 'rich_text':
        lines.push(...renderRichText(block.elements, color));
        break;
      default:
        lines.push(paint(`[${block.type} block]`, 'dim', color));
    }
  }
  return { text: lines.join('\n'), buttons };
}
