/**
 * Renders `bench/results.json` as the Markdown tables for the README (`bench/results.md`): medians of one run,
 * and the ratio to the reference measured in the same run. `npx tsx bench/report.ts` re-renders results.md
 * from results.json without running anything.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AckResult, HealReference, HealRun, MemoryResult } from './app.ts';
import type { ClusterSizeResult, ForgetCase, ScanCase } from './cluster.ts';
import type { NewIpRun } from './new-ip.ts';
import type { ParseBenchResult } from './parse.ts';
import { issueTable, watchTable } from './report-scale.ts';
import type { BenchResults, ParseSection } from './run.ts';

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (!Number.isFinite(ms)) return '∞';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

const ratio = (r: number | null | undefined) =>
  r === null || r === undefined || !Number.isFinite(r)
    ? '—'
    : r >= 1
      ? `**${r.toFixed(1)}×** faster`
      : `${(1 / r).toFixed(1)}× slower`;

const skipped = (x: unknown): x is { skipped: string } =>
  typeof x === 'object' && x !== null && 'skipped' in x;

function scanTable(clusters: BenchResults['clusters']): string[] {
  const out = [
    '### 1. Status scan vs `redis-cli --cluster check`',
    '',
    'Median wall time of one full picture of the cluster (scan of every node + analysis; a fresh connection pool each',
    'time, as `redis-medic status` does) against `redis-cli --cluster check <seed>` run as a process, interleaved.',
    'Frozen nodes are replicas stopped with SIGSTOP (they accept TCP and never answer).',
    '',
    '| nodes | frozen | redis-medic scan | warm pool (bot) | `redis-cli --cluster check` | ratio |',
    '| ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const c of clusters) {
    if (skipped(c) || skipped((c as ClusterSizeResult).scan)) {
      const why = skipped(c) ? c.skipped : ((c as ClusterSizeResult).scan as { skipped: string }).skipped;
      out.push(`| ${c.nodes} | – | skipped: ${why} | | | |`);
      continue;
    }
    for (const s of (c as ClusterSizeResult).scan as ScanCase[]) {
      const ours = `${fmtMs(s.scanMedianMs)}${s.frozen ? ` (names ${s.unreachableNamed} unreachable)` : ''}`;
      const ref = s.referenceMedianMs === null ? s.reference : fmtMs(s.referenceMedianMs);
      const r = s.ratio === null ? 'reference never answered' : ratio(s.ratio);
      out.push(`| ${c.nodes} | ${s.frozen} | ${ours} | ${fmtMs(s.scanWarmMedianMs)} | ${ref} | ${r} |`);
    }
  }
  return out;
}

function parseTable(parse: BenchResults['parse']): string[] {
  const out = [
    '### 2. Parse + analyze a generated `CLUSTER NODES` text',
    '',
    'Half masters, half replicas, a few failed nodes and an open slot; median of many runs after warm-up.',
    '',
  ];
  if (skipped(parse)) return [...out, `Skipped: ${parse.skipped}`];
  const p = parse as ParseSection;
  out.push(
    '| nodes | text | parse | build topology + analyze | total | growth from the previous size |',
    '| ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const s of p.sizes) {
    if (skipped(s)) {
      out.push(`| ${s.nodes} | skipped: ${s.skipped} | | | | |`);
      continue;
    }
    const r = s as ParseBenchResult;
    const g = p.growth.find((x) => x.to === r.nodes);
    const growth = g ? `×${g.per10x} per 10× nodes (time ∝ n^${g.exponent})` : '—';
    out.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${Math.round(r.textBytes / 1024)} KiB | ${fmtMs(r.parseMedianMs)} | ${fmtMs(r.buildAndAnalyzeMedianMs)} | ${fmtMs(r.parseMedianMs + r.buildAndAnalyzeMedianMs)} | ${growth} |`,
    );
  }
  return out;
}

function forgetTable(clusters: BenchResults['clusters']): string[] {
  const out = [
    '### 3. Forget spread: first to last `CLUSTER FORGET`',
    '',
    'One dead replica forgotten on every live node. Redis 7.0 does not gossip FORGET and bans the id for 60 s only:',
    "every node must get it within that window. redis-medic: the executor's forget step (its `forgetSpreadMs`).",
    "Reference: the write-ups' hand-run loop, scripted (`redis-cli -p … CLUSTER FORGET <id>` one node after another).",
    '',
    '| cluster | nodes told | redis-medic | sequential redis-cli loop | ratio | under the 60 s limit |',
    '| ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const c of clusters) {
    if (skipped(c) || skipped((c as ClusterSizeResult).forget)) {
      const why = skipped(c) ? c.skipped : ((c as ClusterSizeResult).forget as { skipped: string }).skipped;
      out.push(`| ${c.nodes} | – | skipped: ${why} | | | |`);
      continue;
    }
    const f = (c as ClusterSizeResult).forget as ForgetCase;
    out.push(
      `| ${c.nodes} | ${f.nodes} | ${fmtMs(f.spreadMedianMs)} | ${fmtMs(f.referenceSpreadMedianMs)} | ${ratio(f.ratio)} | ${f.withinLimit ? 'yes' : '**no**'} |`,
    );
  }
  return out;
}

function healTable(app: BenchResults['app']): string[] {
  const out = [
    '### 4. Time to heal the replaced-pod failure, Approve → healthy',
    '',
    'Master killed, its replica promoted, an empty pod back at a new address (write-ups 000/004). Plan: forget the',
    'dead id everywhere, meet the new node, make it the replica of the orphaned master. Through the real path:',
    "signed click → Bolt → approval guard → BullMQ → worker process → executor. Redis's default",
    '`repl-diskless-sync-delay` (5 s) is kept, as in production.',
    '',
  ];
  if (skipped(app)) return [...out, `Skipped: ${app.skipped}`];
  const heal = app.heal;
  if (skipped(heal)) return [...out, `Skipped: ${heal.skipped}`];
  const runs = heal.runs as HealRun[];
  const m = (f: (r: HealRun) => number) => {
    const xs = runs.map(f).sort((a, b) => a - b);
    const mid = Math.floor(xs.length / 2);
    return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  };
  out.push(
    `| (median of ${runs.length} runs) | time | share |`,
    '| --- | ---: | ---: |',
    `| **Approve → healthy** | **${fmtMs(heal.medianTotalMs)}** | 100 % |`,
    `| Redis: gossip + first sync (waits the executor reports as Redis's) | ${fmtMs(heal.medianRedisMs)} | ${pct(heal.medianRedisMs, heal.medianTotalMs)} |`,
    `| **bot** | **${fmtMs(heal.medianBotMs)}** | ${pct(heal.medianBotMs, heal.medianTotalMs)} |`,
    `| · click → plan queued (ack, approval guard, store) | ${fmtMs(m((r) => r.bot.approveToQueuedMs))} | |`,
    `| · queue pickup (BullMQ → worker) | ${m((r) => r.bot.queuePickupMs) < 1 ? '< 1 ms' : fmtMs(m((r) => r.bot.queuePickupMs))} | |`,
    `| · re-check scans before each step | ${fmtMs(m((r) => r.bot.recheckScansMs))} | |`,
    `| · commands (FORGET ×n, MEET ×n, REPLICATE) | ${fmtMs(m((r) => r.bot.commandsMs))} | |`,
    `| · the rest (progress, events, poll granularity) | ${fmtMs(m((r) => r.bot.otherMs))} | |`,
    `| then: summary in the thread after healthy | ${fmtMs(m((r) => r.reportAfterHealMs))} | |`,
  );
  out.push(
    '',
    'Against the same repair by hand (scripted, as fast as a shell goes), both timed from the first action to the',
    'same health check (cluster_state ok, no failed node, every replica link up; polled every 50 ms):',
    '',
    '| | Approve / first command → healthy | ratio |',
    '| --- | ---: | --- |',
    `| redis-medic (median) | ${fmtMs(m((r) => r.benchSawHealthyMs))} | |`,
  );
  const ref = app.healReference;
  if (skipped(ref)) out.push(`| by hand: skipped (${ref.skipped}) | | |`);
  else {
    const h = ref as HealReference;
    out.push(
      `| ${h.how}: FORGET loop ${fmtMs(h.forgetLoopMs)}, add-node ${fmtMs(h.addNodeMs)}, sync ${fmtMs(h.syncAndCheckMs)} | ${fmtMs(h.totalMs)} | ${ratio(h.totalMs / m((r) => r.benchSawHealthyMs))} |`,
    );
  }
  return out;
}

const mib = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x} MiB`);

const pct = (a: number, b: number) => (b > 0 ? `${Math.round((100 * a) / b)} %` : '—');

function ackTable(app: BenchResults['app']): string[] {
  const out = [
    '### 5. Ack latency of slash commands over HTTP, while a plan runs',
    '',
    "Bursts of 50 signed `/redis …` requests, each burst sent at once to Bolt's HTTP receiver (bot process) while the",
    'worker runs a heal plan; the percentiles are over every ack of the bursts. Two bursts of `help` before the plan',
    'warm the bot up; the slowest ack of the very first one is given apart. Slack gives an app 3 s to ack.',
    '',
  ];
  if (skipped(app)) return [...out, `Skipped: ${app.skipped}`];
  if (skipped(app.ack)) return [...out, `Skipped: ${app.ack.skipped}`];
  const a = app.ack as AckResult;
  out.push(
    '| 50 concurrent | p50 | p99 | max | all acked < 3 s | answered |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    `| \`/redis status\` × ${a.bursts} bursts (each starts a full scan) | ${fmtMs(a.p50Ms)} | ${fmtMs(a.p99Ms)} | ${fmtMs(a.maxMs)} | ${a.allWithin3s ? 'yes' : '**no**'} | ${a.answered}/${a.concurrent * a.bursts}, median ${fmtMs(a.answerP50Ms)}, last ${fmtMs(a.answerMaxMs)} |`,
    `| \`/redis help\` (no I/O behind the ack) | ${fmtMs(a.help.p50Ms)} | ${fmtMs(a.help.p99Ms)} | ${fmtMs(a.help.maxMs)} | | |`,
  );
  out.push(
    '',
    `The bot's very first burst (\`help\`, not yet compiled): slowest ack ${fmtMs(a.firstBurstMaxMs)}.`,
  );
  if (!a.planRunningThroughout)
    out.push('', '(the plan had finished before the last ack: the load overlapped only partly)');
  return out;
}

function memoryTable(app: BenchResults['app']): string[] {
  const out = ['### 6. Memory: resident set size (RSS)', ''];
  if (skipped(app)) return [...out, `Skipped: ${app.skipped}`];
  if (skipped(app.memory)) return [...out, `Skipped: ${app.memory.skipped}`];
  const mem = app.memory as MemoryResult;
  out.push(
    `${mem.note}. The 1,000 commands: ${mem.commands.mix.map((c) => `\`${c}\``).join(', ')} in turn, 50 in flight;`,
    `${mem.commands.acked} acked, ${mem.commands.answered} answered in ${fmtMs(mem.commands.wallMs)}. The worker had run ${mem.plansRunByWorker} plan(s) by then.`,
    '',
    '| process | RSS idle | RSS after 1,000 commands | RSS after 2,000 (leak check) | V8 heap used: idle → 1,000 → 2,000 |',
    '| --- | ---: | ---: | ---: | --- |',
    `| bot (\`ROLE=bot\`) | ${mem.idle.botMiB} MiB | ${mem.after1000.botMiB} MiB | ${mem.after2000 ? `${mem.after2000.botMiB} MiB` : '—'} | ${mib(mem.heapUsedMiB.idle.bot)} → ${mib(mem.heapUsedMiB.after1000.bot)} → ${mib(mem.after2000?.botHeapUsedMiB)} |`,
    `| worker (\`ROLE=worker\`) | ${mem.idle.workerMiB} MiB | ${mem.after1000.workerMiB} MiB | ${mem.after2000 ? `${mem.after2000.workerMiB} MiB` : '—'} | ${mib(mem.heapUsedMiB.idle.worker)} → ${mib(mem.heapUsedMiB.after1000.worker)} → ${mib(mem.after2000?.workerHeapUsedMiB)} |`,
  );
  return out;
}

function soakTable(soak: BenchResults['soak']): string[] {
  const out = ['### 7. Memory of both roles across 10,000 commands, after a full GC', ''];
  if (!soak) return [...out, 'Not run.'];
  if (skipped(soak)) return [...out, `Skipped: ${soak.skipped}`];
  const first = soak.points[0];
  const last = soak.points.at(-1);
  if (!first || !last) return [...out, 'No checkpoint.'];
  const row = (role: 'bot' | 'worker') => {
    const peak = Math.max(...soak.points.map((p) => p[role].rssMiB));
    return `| ${role} (\`ROLE=${role}\`) | ${first[role].rssMiB} MiB | ${last[role].rssMiB} MiB | ${peak} MiB | ${first[role].heapUsedMiB} → ${last[role].heapUsedMiB} MiB | ${last[role].heapTotalMiB} MiB (young ${last[role].newSpaceMiB}) |`;
  };
  out.push(
    `Both processes as the pods run them (\`NODE_OPTIONS=${soak.nodeOptions}\`), compiled JavaScript, \`--expose-gc\`; the bot gets`,
    `${last.commands.toLocaleString('en-US')} signed \`/redis\` commands (\`help\`, \`plans\`, \`audit 10\`, \`clusters\`, 50 in flight), a full GC in both after each 1,000.`,
    '',
    '| process | RSS idle | RSS after 10,000 | RSS peak | heap used after GC: idle → 10,000 | heap committed at the end |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    row('bot'),
    row('worker'),
  );
  return out;
}

function newIpTable(newIp: BenchResults['newIp']): string[] {
  const out = [
    '### 8. Every pod restarted at once at a new IP, Approve → healthy',
    '',
    'Each node on its own loopback IP with AOF, all restarted at once on their data dirs at new IPs. redis-medic:',
    'diagnose, then the approved plan (MEET from every node at once, wait for every address, check every replica link).',
    'By hand: `redis-cli -h <first node> CLUSTER MEET <ip> <port>` for every other node, then wait. Healthy: every node',
    'lists every other at its new address with no fail flag, and every replica link is up.',
    '',
    '| nodes | | → cluster_state:ok | → healthy | keys lost | ids kept |',
    '| ---: | --- | ---: | ---: | ---: | --- |',
  ];
  const row = (nodes: number, who: string, x: NewIpRun, limit: number) =>
    `| ${nodes} | ${who} | ${x.toStateOkMs === null ? `not within ${limit / 1000} s` : fmtMs(x.toStateOkMs)} | ${x.toHealthyMs === null ? `not within ${limit / 1000} s${x.stillWrong ? ` (${x.stillWrong})` : ''}` : fmtMs(x.toHealthyMs)} | ${x.keysMissing} | ${x.idsKept ? 'yes' : '**no**'} |`;
  for (const c of newIp ?? []) {
    if (skipped(c)) {
      out.push(`| ${c.nodes} | skipped: ${c.skipped} | | | | |`);
      continue;
    }
    out.push(
      row(c.nodes, `redis-medic (diagnose ${fmtMs(c.medic.diagnoseMs)})`, c.medic, c.limitMs),
      row(c.nodes, 'MEET by hand from one node', c.byHand, c.limitMs),
    );
  }
  return newIp ? out : [];
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  // No heading of its own: it goes under the README's "## Benchmarks".
  const lines = [
    `One run of \`npm run bench\` on ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}, ${m.redisServer.replace(/ sha=.*$/, '')};`,
    `${r.startedAt}, ${Math.round(r.totalMs / 1000)} s in all. Every figure is a median from this run, and every reference`,
    'was measured in the same run on the same cluster. What each number owes to the design: `docs/benchmarks.md`.',
    '',
    ...(Math.max(m.loadAtStart, m.loadAtEnd ?? 0) > m.cpus
      ? [
          `> Load average ${m.loadAtStart} at the start and ${m.loadAtEnd ?? '?'} at the end on ${m.cpus} CPUs: other work shared`,
          '> the machine, so absolute times are inflated; the ratios compare tools run side by side under the same load.',
          '',
        ]
      : []),
    ...issueTable(r),
    '',
    ...scanTable(r.clusters),
    '',
    ...parseTable(r.parse),
    '',
    ...forgetTable(r.clusters),
    '',
    ...healTable(r.app),
    '',
    ...ackTable(r.app),
    '',
    ...memoryTable(r.app),
    '',
    ...soakTable(r.soak),
    '',
    ...newIpTable(r.newIp),
    '',
    ...watchTable(r),
    '',
  ];
  if (r.unhandled.length)
    lines.push(`Unhandled rejections during the run: ${r.unhandled.length} (see results.json).`, '');
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const results = JSON.parse(readFileSync(`${dir}results.json`, 'utf8')) as BenchResults;
  writeFileSync(`${dir}results.md`, renderMarkdown(results));
  process.stdout.write(renderMarkdown(results));
}
