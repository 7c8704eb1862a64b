/**
 * The V8 limits the chart and the manifests give both pods (NODE_OPTIONS): a young generation capped at 3 × 8 MiB
 * (V8's default grows it to ~120 MiB under a burst of commands, and keeps it) and an old space well under the
 * memory limit. Section 7 of `npm run bench` measures the processes with exactly these; the manifest tests check
 * that the pods run with them (docs/benchmarks.md, "Sizing").
 */
export const POD_NODE_OPTIONS = '--max-old-space-size=160 --max-semi-space-size=8';
