import type { Risk, Severity, SlotRange } from '../../core/types.ts';
import type {
  ActionsBlock,
  Block,
  ButtonElement,
  ChatMessage,
  ConfirmDialog,
  ContextBlock,
  HeaderBlock,
  SectionBlock,
  TextObject,
} from '../chat-port.ts';

/** Block Kit limits (platform-facts.md; confirm-dialog limits from Slack's composition-object reference). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  actionsElements: 25,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** chat.postMessage `text` (Slack truncates beyond 40,000; we keep the fallback short). */
  fallbackText: 3000,
} as const;

/** Room we leave in section text so appended notes always fit. */
const SECTION_BUDGET = LIMITS.sectionText - 250;

/** Escapes the three characters mrkdwn treats as control characters. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to `max` characters (ending with …). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

export const mrkdwn = (text: string): TextObject => ({
  type: 'mrkdwn',
  text: clip(text, LIMITS.sectionText),
});
export const plain = (text: string): { type: 'plain_text'; text: string; emoji: true } => ({
  type: 'plain_text',
  text,
  emoji: true,
});

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(clip(text.replace(/\s+/g, ' '), LIMITS.headerText)) };
}
export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(clip(text, LIMITS.sectionText)) };
}
export function fields(pairs: [string, string][]): SectionBlock {
  return {
    type: 'section',
    fields: pairs.slice(0, LIMITS.fields).map(([k, v]) => mrkdwn(clip(`*${k}*\n${v}`, LIMITS.fieldText))),
  };
}
export function context(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(clip(t, LIMITS.contextText))),
  };
}
export const divider = (): Block => ({ type: 'divider' });

export function confirmDialog(
  title: string,
  text: string,
  confirm: string,
  style?: 'danger' | 'primary',
): ConfirmDialog {
  const d: ConfirmDialog = {
    title: { type: 'plain_text', text: clip(title, LIMITS.confirmTitle) },
    text: { type: 'mrkdwn', text: clip(text, LIMITS.confirmText) },
    confirm: { type: 'plain_text', text: clip(confirm, LIMITS.confirmButton) },
    deny: { type: 'plain_text', text: 'Go back' },
  };
  if (style) d.style = style;
  return d;
}

export function button(
  text: string,
  actionId: string,
  value: string,
  opts: { style?: 'primary' | 'danger'; confirm?: ConfirmDialog } = {},
): ButtonElement {
  const b: ButtonElement = {
    type: 'button',
    text: plain(clip(text, LIMITS.buttonText)),
    action_id: actionId,
    value: clip(value, LIMITS.buttonValue),
  };
  if (opts.style) b.style = opts.style;
  if (opts.confirm) b.confirm = opts.confirm;
  return b;
}
export function actions(blockId: string, elements: ButtonElement[]): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements: elements.slice(0, LIMITS.actionsElements) };
}

/**
 * Packs lines into as few sections as possible, at most `maxBlocks`, each under the text limit. Lines that do not
 * fit are counted; the last section says how many were left out (`omittedNote(n)`).
 */
export function packLines(
  lines: string[],
  maxBlocks: number,
  omittedNote: (n: number) => string,
): { blocks: SectionBlock[]; omitted: number } {
  const chunks: string[] = [];
  let cur = '';
  let used = 0;
  for (const raw of lines) {
    const line = clip(raw, SECTION_BUDGET);
    const next = cur ? `${cur}\n${line}` : line;
    if (next.length <= SECTION_BUDGET) {
      cur = next;
      used++;
      continue;
    }
    if (chunks.length + 1 >= maxBlocks) break;
    chunks.push(cur);
    cur = line;
    used++;
  }
  if (cur) chunks.push(cur);
  const omitted = lines.length - used;
  if (omitted > 0 && chunks.length > 0) {
    const last = chunks.length - 1;
    chunks[last] = `${chunks[last]}\n${clip(omittedNote(omitted), 240)}`;
  }
  return { blocks: chunks.slice(0, Math.max(1, maxBlocks)).map(section), omitted };
}

/** Keeps a message within 50 blocks: drops from the end (keeping actions blocks) and says so. */
export function fitMessage(text: string, blocks: Block[]): ChatMessage {
  let out = blocks;
  if (out.length > LIMITS.blocks) {
    const keepTail = out.filter((b) => b.type === 'actions');
    const room = LIMITS.blocks - keepTail.length - 1;
    const head = out.filter((b) => b.type !== 'actions').slice(0, room);
    const dropped = blocks.length - head.length - keepTail.length;
    out = [...head, context(`…${dropped} more blocks left out to stay within Slack's limits.`), ...keepTail];
  }
  return { text: clip(text || ' ', LIMITS.fallbackText), blocks: out };
}

export const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};

/** Risk in words a tired person cannot miss. */
export function riskLabel(risk: Risk): string {
  switch (risk) {
    case 'low':
      return ':large_green_circle: low risk';
    case 'medium':
      return ':large_yellow_circle: medium risk';
    case 'high':
      return ':warning: *HIGH RISK*';
    case 'data-loss':
      return ':rotating_light: *DATA LOSS POSSIBLE*';
  }
}
/** Plain-text risk (confirm dialogs, headers). */
export function riskWords(risk: Risk): string {
  return risk === 'data-loss' ? 'DATA LOSS possible' : risk === 'high' ? 'HIGH risk' : `${risk} risk`;
}

/** `0-5460, 5462` (ranges sorted as given). */
export function fmtSlots(ranges: SlotRange[], maxRanges = 6): string {
  if (ranges.length === 0) return 'no slots';
  const parts = ranges
    .slice(0, maxRanges)
    .map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`));
  const more = ranges.length > maxRanges ? ` +${ranges.length - maxRanges} ranges` : '';
  return `${parts.join(', ')}${more}`;
}
export function countSlotsIn(ranges: SlotRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
}

export const shortId = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '?');
export const mention = (user: string): string => (/^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : esc(user));

/**
 * A time in each reader's own timezone (Slack's date token), `00:14 UTC` where Slack cannot format it
 * (notifications, the console, old clients). Issue 19, part 2.
 */
export function clock(ms: number): string {
  if (Number.isNaN(new Date(ms).getTime())) return '?';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${utcTime(ms)}>`;
}

/** `03:14 UTC`: the same for every reader (refusals, and clock's fallback). */
export function utcTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '?' : `${d.toISOString().slice(11, 16)} UTC`;
}
/** `1.2 s`, `850 ms`, `3 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Code block that survives our own escaping and never closes early. */
export function codeBlock(
  lines: string[],
  maxLines: number,
  moreNote: (n: number) => string,
  maxChars = 1500,
): string {
  const shown: string[] = [];
  let len = 0;
  for (const l of lines) {
    const line = clip(l.replace(/```/g, "'''"), 300);
    if (shown.length >= maxLines || len + line.length + 1 > maxChars) break;
    shown.push(line);
    len += line.length + 1;
  }
  const rest = lines.length - shown.length;
  return `\`\`\`${esc(shown.join('\n'))}\`\`\`${rest > 0 ? `\n_${moreNote(rest)}_` : ''}`;
}

/** Every Block Kit limit we rely on; returns the problems found (empty: fine). */
export function blockKitProblems(msg: ChatMessage): string[] {
  const p: string[] = [];
  if (typeof msg.text !== 'string' || msg.text.length === 0) p.push('text: missing fallback text');
  else if (msg.text.length > LIMITS.fallbackText) p.push(`text: ${msg.text.length} > ${LIMITS.fallbackText}`);
  if (msg.blocks.length > LIMITS.blocks) p.push(`blocks: ${msg.blocks.length} > ${LIMITS.blocks}`);
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();
  const checkText = (where: string, t: TextObject | undefined, max: number) => {
    if (!t) return;
    if (typeof t.text !== 'string' || t.text.length === 0) p.push(`${where}: empty text`);
    else if (t.text.length > max) p.push(`${where}: ${t.text.length} > ${max}`);
  };
  const checkButton = (where: string, b: ButtonElement) => {
    checkText(`${where}.text`, b.text, LIMITS.buttonText);
    if (b.value !== undefined && b.value.length > LIMITS.buttonValue) p.push(`${where}.value too long`);
    if (!b.action_id || b.action_id.length > LIMITS.actionId) p.push(`${where}.action_id invalid`);
    if (actionIds.has(b.action_id)) p.push(`${where}: duplicate action_id ${b.action_id}`);
    actionIds.add(b.action_id);
    if (b.confirm) {
      checkText(`${where}.confirm.title`, b.confirm.title, LIMITS.confirmTitle);
      checkText(`${where}.confirm.text`, b.confirm.text, LIMITS.confirmText);
      checkText(`${where}.confirm.confirm`, b.confirm.confirm, LIMITS.confirmButton);
      checkText(`${where}.confirm.deny`, b.confirm.deny, LIMITS.confirmButton);
    }
  };
  msg.blocks.forEach((b, i) => {
    const w = `blocks[${i}](${b.type})`;
    if (b.block_id !== undefined) {
      if (b.block_id.length > LIMITS.blockId) p.push(`${w}: block_id too long`);
      if (blockIds.has(b.block_id)) p.push(`${w}: duplicate block_id ${b.block_id}`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        if (b.text.type !== 'plain_text') p.push(`${w}: header must be plain_text`);
        checkText(w, b.text, LIMITS.headerText);
        break;
      case 'section':
        if (!b.text && !b.fields?.length) p.push(`${w}: needs text or fields`);
        checkText(w, b.text, LIMITS.sectionText);
        if (b.fields) {
          if (b.fields.length > LIMITS.fields) p.push(`${w}: ${b.fields.length} fields > ${LIMITS.fields}`);
          b.fields.forEach((f, j) => {
            checkText(`${w}.fields[${j}]`, f, LIMITS.fieldText);
          });
        }
        if (b.accessory) checkButton(`${w}.accessory`, b.accessory);
        break;
      case 'context':
        if (b.elements.length === 0 || b.elements.length > LIMITS.contextElements)
          p.push(`${w}: ${b.elements.length} elements`);
        b.elements.forEach((e, j) => {
          checkText(`${w}.elements[${j}]`, e, LIMITS.contextText);
        });
        break;
      case 'actions':
        if (b.elements.length === 0 || b.elements.length > LIMITS.actionsElements)
          p.push(`${w}: ${b.elements.length} elements`);
        b.elements.forEach((e, j) => {
          checkButton(`${w}.elements[${j}]`, e);
        });
        break;
      case 'divider':
        break;
    }
  });
  return p;
}

/** Throws when a message breaks a Block Kit limit (used by tests and, in development, before posting). */
export function assertWithinBlockKitLimits(msg: ChatMessage): void {
  const problems = blockKitProblems(msg);
  if (problems.length > 0) throw new Error(`Block Kit limits exceeded:\n${problems.join('\n')}`);
}
