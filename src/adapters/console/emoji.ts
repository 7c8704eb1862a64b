/** Slack emoji shortcodes as terminal symbols, and the tone (severity colour) some of them give a line. */
import { type Style, stripAnsi } from './ansi.ts';

export type Tone = 'critical' | 'warning' | 'info' | 'ok';

/** `name=symbol` pairs by the tone they colour the line they start with (`plain`: none). */
const EMOJI_TABLE: Record<Tone | 'plain', string[]> = {
  critical: [
    'red_circle=● rotating_light=‼ x=✖ heavy_multiplication_x=✖ no_entry=⛔ fire=‼ boom=‼',
    'no_entry_sign=⊘ skull=☠',
  ],
  warning: ['large_orange_circle=● large_yellow_circle=● warning=⚠ electric_plug=⌁'],
  info: ['large_blue_circle=● information_source=ℹ'],
  ok: ['large_green_circle=● white_check_mark=✔ heavy_check_mark=✔ ballot_box_with_check=☑'],
  plain: [
    'white_circle=○ black_circle=● hourglass=⧗ hourglass_flowing_sand=⧗ arrow_right=→ arrow_forward=▶',
    'arrows_counterclockwise=↻ repeat=↻ stethoscope=+ mag=? lock=🔒 bust_in_silhouette=@',
    'double_vertical_bar=‖ grey_question=? question=? heavy_minus_sign=– wastebasket=⌫ link=⇄ gear=⚙',
    'clipboard=▤ memo=▤ spiral_note_pad=▤ thumbsup=+1 +1=+1 thumbsdown=-1 -1=-1 tada=* zap=⚡',
    'snowflake=❄ stopwatch=⏱ timer_clock=⏱ alarm_clock=⏰ thinking_face=? inbox_tray=⇲',
    'white_small_square=▫ fast_forward=» eyes=◉ pushpin=› bell=♪ ambulance=+ broom=~ heavy_plus_sign=+',
  ],
};

/** Slack shortcodes we print as a symbol; the tone colours the line they start. */
export const EMOJI: Record<string, { symbol: string; tone?: Tone }> = Object.fromEntries(
  Object.entries(EMOJI_TABLE).flatMap(([tone, rows]) =>
    rows
      .join(' ')
      .split(' ')
      .map((pair) => {
        const at = pair.indexOf('=');
        const symbol = pair.slice(at + 1);
        return [pair.slice(0, at), tone === 'plain' ? { symbol } : { symbol, tone: tone as Tone }];
      }),
  ),
);

export const TONE_STYLE: Record<Tone, Style> = {
  critical: 'red',
  warning: 'yellow',
  info: 'cyan',
  ok: 'green',
};

/** Words that mark a finding's severity when no emoji does (`*critical*`, `CRITICAL:`, `[warning]`). */
const SEVERITY_WORD_RE = /^(?:[-•*\s[]|\x1b\[[0-9;]*m)*(critical|warning|info)\b/i;

/** The tone of a rendered line: from the first severity emoji it starts with, or a leading severity word. */
export function toneOf(line: string, tones: Map<number, Tone>, lineIndex: number): Tone | undefined {
  const fromEmoji = tones.get(lineIndex);
  if (fromEmoji) return fromEmoji;
  const m = SEVERITY_WORD_RE.exec(stripAnsi(line));
  if (!m) return undefined;
  return m[1]!.toLowerCase() as Tone;
}
