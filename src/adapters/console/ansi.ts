/** ANSI colours and the printed width of coloured text. */

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

export type Style = keyof typeof ANSI;

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

export function padEnd(text: string, width: number): string {
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
