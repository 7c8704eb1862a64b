import { startSlackTransport } from './src/adapters/slack/app.ts';
import { createSlackChatPort, createSlackWebClient } from './src/adapters/slack/chat-port.ts';
import { createLogger } from './src/logger.ts';
import { startSlackStandIn } from './test/support/slack-stand-in.ts';
import { startSocketModeStandIn } from './test/support/socket-mode-stand-in.ts';
import { postToApp, slashCommandBody } from './test/support/slack-signing.ts';
import type { ChatService } from './src/app/chat-port.ts';

const logger = createLogger('warn');
const slack = await startSlackStandIn();
const chat = createSlackChatPort({ client: createSlackWebClient({ token: slack.botToken, slackApiUrl: slack.url, logger }), logger });
const svc: ChatService = {
  async handleCommand(req) { if (req.text === 'boom') throw new Error('kaput'); await req.respond({ text: `you said ${req.text}`, blocks: [] }); await chat.post(req.channel, { text: 'in channel', blocks: [] }); },
  async handleAction(req) { await req.respond({ text: 'no', blocks: [] }); },
  async start() {}, async stop() {},
};
const t = await startSlackTransport({ mode: 'http', botToken: slack.botToken, signingSecret: 'sec', slackApiUrl: slack.url, host: '127.0.0.1', port: 0, chatService: svc, chat, health: async () => true, logger });
const url = `http://127.0.0.1:${t.port}/slack/events`;
for (const text of ['status', 'boom']) {
  const r = await postToApp(url, 'sec', slashCommandBody({ text, user_id: 'U1', channel_id: 'C1', response_url: slack.responseUrl('C1', 'U1') }));
  console.log(text, r.status, r.body, Math.round(r.ms));
}
console.log('future', (await postToApp(url, 'sec', 'x=1', { timestampSec: Math.floor(Date.now()/1000) + 400 })).status);
console.log('past', (await postToApp(url, 'sec', 'x=1', { timestampSec: Math.floor(Date.now()/1000) - 400 })).status);
console.log('health', (await fetch(`http://127.0.0.1:${t.port}/healthz`)).status);
await new Promise((r) => setTimeout(r, 500));
console.log(JSON.stringify(slack.responseUrlPosts), slack.messages.map(m=>m.text));
await t.stop();
// socket
const sock = await startSocketModeStandIn(slack);
const t2 = await startSlackTransport({ mode: 'socket', botToken: slack.botToken, appToken: slack.appToken, slackApiUrl: slack.url, host: '127.0.0.1', port: 0, chatService: svc, chat, health: async () => true, logger });
await sock.waitForConnection();
const ack = await sock.sendSlashCommand({ command: '/redis', text: 'hi', user_id: 'U1', channel_id: 'C1', team_id: 'T1', response_url: slack.responseUrl('C1','U1') });
console.log('ack', ack);
await new Promise((r) => setTimeout(r, 1500));
console.log(slack.responseUrlPosts.at(-1), slack.messages.length);
let t0=Date.now(); await t2.stop(); console.log('t2.stop ms', Date.now()-t0); t0=Date.now(); await sock.close(); console.log('sock.close ms', Date.now()-t0); await slack.close(); console.log('done');
