/**
 * Parse + analyze a generated `CLUSTER NODES` text (default 1,000 nodes: half masters, half replicas, a few
 * failed nodes and open slots). Run: `npx tsx bench/parse.ts [nodes]`; `bench/run.ts` imports `benchParse`.
 */
import { fileURLToPath } from 'node:url';
import { analyzeTopology } from '../src/core/topology/analyze.ts';
import { buildTopology } from '../src/core/topology/build-topology.ts';
import { parseClusterNodes } from '../src/core/topology/parse-cluster-nodes.ts';
import { parseClusterInfo } from '../src/core/topology/parse-info.ts';
import type { Probe } from '../src/core/types.ts';
import { fullGc, median } from './util.ts';

export interface ParseBenchResult {
  name: `parse-${number}-nodes`;
  nodes: number;
  textBytes: number;
  runs: number;
  parseMedianMs: number;
  buildAndAnalyzeMedianMs: number;
  totalMedianMs: number;
  findings: number;
}

/** Deterministic ids: a tiny xorshift PRNG so every run parses the same text. */
function idGenerator(seed = 0x2545f491): () => string {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0).toString(16).padStart(8, '0');
  };
  return () => (next() + next() + next() + next() + next()).slice(0, 40);
}

/** A `CLUSTER NODES` text of `nodes` nodes, half masters with the slots split evenly, half replicas. */
export function generateClusterNodes(nodes = 1000): { text: string; myAddr: string; myId: string } {
  const id = idGenerator();
  const masters = Math.floor(nodes / 2);
  const masterIds = Array.from({ length: masters }, id);
  const lines: string[] = [];
  const addr = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 7)}:6379`;
  for (let i = 0; i < masters; i++) {
    const start = Math.floor((i * 16384) / masters);
    const end = Math.floor(((i + 1) * 16384) / masters) - 1;
    const flags = i === 0 ? 'myself,master' : i % 97 === 13 ? 'master,fail' : 'master';
    const open = i === 0 ? ` [${start}->-${masterIds[1]}]` : '';
    lines.push(
      `${masterIds[i]} ${addr(i)}@16379,redis-${i} ${flags} - 0 1700000000000 ${i + 1} connected ${start}-${end}${open}`,
    );
  }
  for (let j = 0; j < nodes - masters; j++) {
    const m = j % masters;
    const flags = j % 101 === 50 ? 'slave,fail?' : j % 89 === 7 ? 'slave,nofailover' : 'slave';
    lines.push(
      `${id()} ${addr(masters + j)}@16379 ${flags} ${masterIds[m]} 0 1700000000000 ${m + 1} connected`,
    );
  }
  return { text: `${lines.join('\n')}\n`, myAddr: addr(0), myId: masterIds[0]! };
}

export async function benchParse(opts: { nodes?: number; runs?: number } = {}): Promise<ParseBenchResult> {
  const nodes = opts.nodes ?? 1000;
  const runs = opts.runs ?? 21;
  const { text, myAddr } = generateClusterNodes(nodes);
  const info = parseClusterInfo(
    `cluster_state:fail\ncluster_slots_assigned:16384\ncluster_slots_ok:16000\ncluster_slots_pfail:0\ncluster_slots_fail:384\ncluster_known_nodes:${nodes}\ncluster_size:${nodes / 2}\ncluster_current_epoch:${nodes}\ncluster_my_epoch:1\n`,
  );
  if (!info.ok) throw new Error(info.error);
  const parseMs: number[] = [];
  const analyzeMs: number[] = [];
  let findings = 0;
  const warmup = 5;
  // Each timed run starts on a settled heap: it pays for the collections its own garbage causes, not for the last run's.
  const gc = fullGc();
  for (let i = 0; i < runs + warmup; i++) {
    gc?.();
    const t0 = performance.now();
    const parsed = parseClusterNodes(text);
    const t1 = performance.now();
    if (!parsed.ok) throw new Error(parsed.error);
    const probe: Probe = {
      addr: myAddr,
      source: 'seed',
      outcome: 'ok',
      ms: 1,
      clusterEnabled: true,
      myId: parsed.value.find((v) => v.flags.includes('myself'))?.id,
      nodes: parsed.value,
      info: info.value,
    };
    const topology = buildTopology('bench', [probe], { takenAt: Date.now() });
    findings = analyzeTopology(topology).length;
    const t2 = performance.now();
    // the first runs warm the JIT up
    if (i >= warmup) {
      parseMs.push(t1 - t0);
      analyzeMs.push(t2 - t1);
    }
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    name: `parse-${nodes}-nodes`,
    nodes,
    textBytes: Buffer.byteLength(text),
    runs,
    parseMedianMs: round(median(parseMs)),
    buildAndAnalyzeMedianMs: round(median(analyzeMs)),
    totalMedianMs: round(median(parseMs.map((p, i) => p + analyzeMs[i]!))),
    findings,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 1000);
  const r = await benchParse({ nodes: n });
  console.log(JSON.stringify(r, null, 2));
}
