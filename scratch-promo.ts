import { startLocalCluster } from './src/sandbox/local-cluster.ts';
const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
try {
  const master = cluster.masters()[0]!;
  const replica = cluster.replicasOf(master)[0]!;
  console.log('repl', (await cluster.cli(replica, 'INFO', 'replication')).split('\n').filter(l=>/link_status|master_port|role/.test(l)).join(' '));
  await cluster.replaceNode(master);
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const nodes = await cluster.cli(replica, 'CLUSTER', 'NODES');
    const rep = await cluster.cli(replica, 'INFO', 'replication');
    console.log(i, rep.split('\n').filter(l=>/link_status|role|master_port/.test(l)).join(' ').replace(/\r/g,''));
    console.log(nodes.split('\n').filter(l => l.includes(master.id.slice(0,10)) || l.includes('myself')).map(l=>l.slice(0,140)).join('\n'));
  }
  console.log(await cluster.cli(replica, 'CONFIG', 'GET', 'repl-diskless-sync-delay'));
} finally { await cluster.stop(); }
