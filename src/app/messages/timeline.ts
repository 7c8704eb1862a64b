/** `/redis timeline <plan-id>` (issue 19, part 4): the incident's timeline, each time in the reader's own zone. */

import type { PlanRecord } from '../../core/plan-record.ts';
import { type TimelineEntry, timelineMarkdown, utc } from '../../core/timeline.ts';
import type { Block, ChatMessage } from '../chat-port.ts';
import { clip, context, esc, fitMessage, header, mention, packLines, section } from './kit.ts';

/** Slack's date token: the reader's timezone, with the UTC time as the fallback text. */
export function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${utc(ms)}>`;
}

/** Every line, in as many code-block sections as needed (a section holds 3000 characters). */
function codeSections(lines: string[]): Block[] {
  const out: Block[] = [];
  let chunk: string[] = [];
  let len = 0;
  const flush = () => {
    if (chunk.length) out.push(section(`\`\`\`${esc(chunk.join('\n'))}\`\`\``));
    chunk = [];
    len = 0;
  };
  for (const raw of lines) {
    const line = clip(raw.replace(/`{3}/g, "'''"), 600);
    if (len + line.length + 1 > 2400) flush();
    chunk.push(line);
    len += line.length + 1;
  }
  flush();
  return out.slice(0, 45);
}

export function renderTimeline(
  rec: PlanRecord,
  entries: TimelineEntry[],
  opts: { markdown?: boolean } = {},
): ChatMessage {
  const title = `Redis ${rec.plan.cluster}: timeline of plan ${rec.plan.id}`;
  if (opts.markdown)
    return fitMessage(title, [
      header(clip(title, 150)),
      ...codeSections(timelineMarkdown(rec, entries).split('\n')),
      context('Paste into the postmortem; times are UTC.'),
    ]);
  const lines = entries.map((e) => `${slackDate(e.at)} — ${esc(e.what)}${e.who ? ` ${mention(e.who)}` : ''}`);
  const id = esc(rec.plan.id);
  return fitMessage(title, [
    header(clip(title, 150)),
    ...packLines(
      lines,
      10,
      (n) => `_…${n} more lines left out: \`/redis timeline ${id} --markdown\` has all._`,
    ).blocks,
    context(`\`/redis timeline ${id} --markdown\` gives a block to paste into the postmortem.`),
  ]);
}
