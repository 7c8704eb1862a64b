import { generateClusterNodes } from './parse.ts';
import { parseClusterNodes } from '../src/core/topology/parse-cluster-nodes.ts';
for (const n of [100, 1000, 5000, 100, 1000]) {
  const { text } = generateClusterNodes(n);
  for (let i = 0; i < 10; i++) parseClusterNodes(text);
  const t = performance.now(); const k = 50;
  for (let i = 0; i < k; i++) parseClusterNodes(text);
  console.log(n, ((performance.now() - t) / k).toFixed(3));
}
