import { startLocalCluster } from '/work/main/src/sandbox/local-cluster.ts';
import { readFileSync } from 'node:fs';
const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
try {
  const master = cluster.masters()[0]!;
  const replica = cluster.replicasOf(master)[0]!;
  console.log('replica info', (await cluster.cli(replica, 'INFO', 'replication')).split('\n').filter(l=>/link|role|master_/.test(l)).join(' '));
  await new Promise((r) => setTimeout(r, 5000));
  await cluster.replaceNode(master);
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const role = await cluster.roleOf(replica).catch((e) => String(e));
    if (role === 'master') { console.log('promoted after', Date.now() - t0); break; }
  }
  console.log(readFileSync(`${replica.dir}/redis.log`, 'utf8').split('\n').slice(-25).join('\n'));
} finally { await cluster.stop(); }
