import { Command } from 'ioredis';
const orig = Command.prototype.setTimeout;
(Command.prototype as any).setTimeout = function (ms: number) {
  const name = this.name, args = this.args;
  const stack = new Error('set here').stack;
  this.promise.catch((e: Error) => { if (/timed out/.test(e.message)) (e as any).cmdInfo = `${name} ${args.join(' ')} ${stack}`; });
  return orig.call(this, ms);
};
process.on('unhandledRejection', (e: any) => { console.error('UNHANDLED', e?.message, e?.cmdInfo); });
const { benchScan } = await import('./scan.ts');
console.log(JSON.stringify(await benchScan({ masters: 20, replicasPerMaster: 2, runs: 3 })));
