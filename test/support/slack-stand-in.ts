import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Slack's Web API and response_urls, speaking HTTP like the real one:
 * form-encoded or JSON bodies, `Authorization: Bearer` (or a `token` field), HTTP 200 with `ok:false` errors,
 * HTTP 429 + Retry-After when chat.postMessage goes over one message per second in a channel,
 * and `invalid_blocks` for anything outside the Block Kit limits. It records every call for the tests.
 */

export interface SlackStandInOptions {
  botToken?: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  /** Minimum gap between two chat.postMessage in one channel (Slack: ~1 message per second). Default 1000. */
  postIntervalMs?: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  /** Every version after the first (chat.update / replace_original). */
  edits: { text: string; blocks: unknown[] }[];
  via: 'api' | 'response_url';
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  via: 'api' | 'response_url';
  /** For response_url: replace_original was asked. */
  replaceOriginal?: boolean;
}

export interface StandInCall {
  method: string;
  args: Record<string, unknown>;
  status: number;
  ok: boolean;
  error?: string;
  at: number;
}

export type Fault = { status: 500 | 502 | 503 } | { status: 429; retryAfter: number } | { error: string };

interface ResponseUrlState {
  channel: string;
  user: string;
  /** The message the button was on (block_actions), for replace_original. */
  messageTs?: string;
  uses: number;
}

const MAX_RESPONSE_URL_USES = 5;

export class SlackStandIn {
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  /** Base URL to give the app as SLACK_API_URL, e.g. `http://127.0.0.1:5123/api/`. */
  url = '';
  origin = '';
  readonly calls: StandInCall[] = [];
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: Ephemeral[] = [];
  /** App Home views published (`views.publish`), in order. */
  readonly homeViews: { user: string; blocks: unknown[] }[] = [];
  readonly responseUrlPosts: { id: string; status: number; body: Record<string, unknown> }[] = [];
  /** Where `apps.connections.open` points Socket Mode clients (set by the socket-mode stand-in). */
  socketModeUrl?: string;
  readonly server: Server;
  private readonly postIntervalMs: number;
  private readonly lastPost = new Map<string, number>();
  private readonly faults = new Map<string, Fault[]>();
  /** Channels the bot is not a member of: the Web API refuses to post there (response_url still works). */
  private readonly notMember = new Set<string>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();
  private tsCounter = 0;
  /** User groups (S…) and their members, for usergroups.users.list. */
  private readonly userGroups = new Map<string, string[]>();
  /** OAuth scopes of the bot token; usergroups.users.list answers missing_scope without usergroups:read. */
  readonly scopes = new Set(['commands', 'chat:write', 'usergroups:read']);
  /** Channels and response_url ids that got anything (message, ephemeral, response): O(1) checks for fuzzing. */
  private readonly touched = new Set<string>();
  private readonly activity = new EventEmitter();

  constructor(opts: SlackStandInOptions = {}) {
    this.botToken = opts.botToken ?? `xoxb-standin-${randomBytes(6).toString('hex')}`;
    this.appToken = opts.appToken ?? `xapp-1-standin-${randomBytes(6).toString('hex')}`;
    this.botUserId = opts.botUserId ?? 'U0MEDICBOT';
    this.botId = opts.botId ?? 'B0MEDICBOT';
    this.postIntervalMs = opts.postIntervalMs ?? 1000;
    this.activity.setMaxListeners(0);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.url = `${this.origin}/api/`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A fresh response_url for a command or a click by `user` in `channel`. */
  responseUrl(channel: string, user: string, messageTs?: string): string {
    const id = randomBytes(9).toString('hex');
    this.responseUrls.set(id, { channel, user, messageTs, uses: 0 });
    return `${this.origin}/respond/T0MEDIC01/${id}`;
  }

  /** The bot leaves `channel` (or was never invited): postMessage, update and postEphemeral answer not_in_channel. */
  leaveChannel(channel: string): void {
    this.notMember.add(channel);
  }

  /** Creates or replaces the user group `id` (S…) with `users` as its members. */
  setUserGroup(id: string, users: string[]): void {
    this.userGroups.set(id, [...users]);
  }

  joinChannel(channel: string): void {
    this.notMember.delete(channel);
  }

  /** The next `times` calls of `method` fail with `fault`. */
  failNext(method: string, fault: Fault, times = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(method, list);
  }

  /** Top-level messages of a channel, oldest first. */
  channelMessages(channel: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.threadTs);
  }

  /** Replies in a thread, oldest first. */
  thread(channel: string, threadTs: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === threadTs);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Current text of a message or ephemeral, blocks flattened to text, for assertions. */
  static textOf(m: {
    text: string;
    blocks: unknown[];
    edits?: { text: string; blocks: unknown[] }[];
  }): string {
    const last = m.edits?.at(-1) ?? m;
    return `${last.text}\n${flattenBlocks(last.blocks)}`;
  }

  /** Everything any user could have seen: channel messages, ephemerals and response_url answers. */
  get anythingPosted(): number {
    return this.messages.length + this.ephemerals.length;
  }

  async waitFor<T>(probe: () => T | undefined | false | null, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > deadline)
        throw new Error(`slack stand-in: timed out after ${timeoutMs} ms waiting for ${what}`);
      // wake on the next thing Slack receives, or after 50 ms at the latest
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.activity.off('activity', done);
          resolve();
        };
        const timer = setTimeout(done, 50);
        this.activity.on('activity', done);
      });
    }
  }

  /** Did anything reach this channel, or this response_url? */
  answered(channel: string, responseUrl?: string): boolean {
    return (
      this.touched.has(channel) ||
      (responseUrl !== undefined && this.touched.has(responseUrl.split('/').at(-1) ?? ''))
    );
  }

  private touch(...keys: string[]): void {
    for (const k of keys) this.touched.add(k);
    this.activity.emit('activity');
  }

  private nextTs(): string {
    this.tsCounter += 1;
    const sec = Math.floor(Date.now() / 1000);
    return `${sec}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const raw = await readBody(req);
    if (req.method === 'POST' && url.pathname.startsWith('/respond/')) {
      this.handleResponseUrl(url.pathname.split('/').at(-1) ?? '', req, raw, res);
      return;
    }
    if (req.method !== 'POST' || !url.pathname.startsWith('/api/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    let args: Record<string, unknown>;
    try {
      args = parseArgs(req.headers['content-type'] ?? '', raw);
    } catch {
      return this.reply(res, method, {}, 200, { ok: false, error: 'invalid_json' });
    }
    const fault = this.faults.get(method)?.shift();
    if (fault) {
      if ('error' in fault) return this.reply(res, method, args, 200, { ok: false, error: fault.error });
      if (fault.status === 429)
        return this.reply(res, method, args, 429, { ok: false, error: 'ratelimited' }, fault.retryAfter);
      return this.reply(res, method, args, fault.status, { ok: false, error: 'internal_error' });
    }
    const token =
      bearer(req.headers.authorization) ?? (typeof args.token === 'string' ? args.token : undefined);
    if (!token) return this.reply(res, method, args, 200, { ok: false, error: 'not_authed' });
    const wantsApp = method === 'apps.connections.open';
    if (wantsApp) {
      if (token.startsWith('xoxb-'))
        return this.reply(res, method, args, 200, { ok: false, error: 'not_allowed_token_type' });
      if (token !== this.appToken)
        return this.reply(res, method, args, 200, { ok: false, error: 'invalid_auth' });
    } else {
      if (token.startsWith('xapp-'))
        return this.reply(res, method, args, 200, { ok: false, error: 'not_allowed_token_type' });
      if (token !== this.botToken)
        return this.reply(res, method, args, 200, { ok: false, error: 'invalid_auth' });
    }
    const { status, body, retryAfter } = this.dispatch(method, args);
    return this.reply(res, method, args, status, body, retryAfter);
  }

  private dispatch(
    method: string,
    args: Record<string, unknown>,
  ): { status: number; body: Record<string, unknown>; retryAfter?: number } {
    const ok = (body: Record<string, unknown> = {}) => ({ status: 200, body: { ok: true, ...body } });
    const fail = (error: string, extra: Record<string, unknown> = {}) => ({
      status: 200,
      body: { ok: false, error, ...extra },
    });
    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://medic.slack.com/',
          team: 'medic',
          user: 'redis-medic',
          team_id: 'T0MEDIC01',
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        });
      case 'apps.connections.open':
        if (!this.socketModeUrl) return fail('internal_error');
        return ok({ url: this.socketModeUrl });
      case 'chat.postMessage': {
        const channel = str(args.channel);
        if (!isChannel(channel)) return fail('channel_not_found');
        if (this.notMember.has(channel)) return fail('not_in_channel');
        const msg = messageArgs(args);
        if ('error' in msg) return fail(msg.error, msg.extra);
        const threadTs = str(args.thread_ts) || undefined;
        if (threadTs && !this.message(channel, threadTs)) return fail('thread_not_found');
        const now = Date.now();
        const last = this.lastPost.get(channel);
        if (last !== undefined && now - last < this.postIntervalMs) {
          const retryAfter = Math.max(1, Math.ceil((this.postIntervalMs - (now - last)) / 1000));
          return { status: 429, body: { ok: false, error: 'ratelimited' }, retryAfter };
        }
        this.lastPost.set(channel, now);
        const ts = this.nextTs();
        const stored: StoredMessage = {
          channel,
          ts,
          text: msg.text,
          blocks: msg.blocks,
          edits: [],
          via: 'api',
        };
        if (threadTs) stored.threadTs = threadTs;
        this.messages.push(stored);
        this.touch(channel);
        return ok({
          channel,
          ts,
          message: {
            type: 'message',
            text: msg.text,
            blocks: msg.blocks,
            bot_id: this.botId,
            ts,
            thread_ts: threadTs,
          },
        });
      }
      case 'chat.update': {
        const channel = str(args.channel);
        if (!isChannel(channel)) return fail('channel_not_found');
        if (this.notMember.has(channel)) return fail('not_in_channel');
        const target = this.message(channel, str(args.ts));
        if (!target) return fail('message_not_found');
        const msg = messageArgs(args);
        if ('error' in msg) return fail(msg.error, msg.extra);
        target.edits.push({ text: msg.text, blocks: msg.blocks });
        this.touch(channel);
        return ok({ channel, ts: target.ts, text: msg.text });
      }
      case 'chat.postEphemeral': {
        const channel = str(args.channel);
        if (!isChannel(channel)) return fail('channel_not_found');
        if (this.notMember.has(channel)) return fail('not_in_channel');
        const user = str(args.user);
        if (!/^[UW][A-Z0-9]+$/.test(user)) return fail('user_not_found');
        const msg = messageArgs(args);
        if ('error' in msg) return fail(msg.error, msg.extra);
        this.ephemerals.push({ channel, user, text: msg.text, blocks: msg.blocks, via: 'api' });
        this.touch(channel);
        return ok({ message_ts: this.nextTs() });
      }
      case 'usergroups.users.list': {
        // https://api.slack.com/methods/usergroups.users.list: needs usergroups:read; unknown ids: no_such_subteam.
        if (!this.scopes.has('usergroups:read'))
          return fail('missing_scope', { needed: 'usergroups:read', provided: [...this.scopes].join(',') });
        const id = str(args.usergroup);
        if (!id) return fail('invalid_arguments');
        const users = this.userGroups.get(id);
        if (!users) return fail('no_such_subteam');
        return ok({ users: [...users] });
      }
      case 'views.publish': {
        const user = str(args.user_id);
        if (!/^[UW][A-Z0-9]+$/.test(user)) return fail('invalid_arguments');
        let view = args.view;
        if (typeof view === 'string') {
          try {
            view = JSON.parse(view) as unknown;
          } catch {
            return fail('invalid_arguments');
          }
        }
        if (!isObj(view) || view.type !== 'home' || !Array.isArray(view.blocks))
          return fail('invalid_arguments');
        // A Home view takes 100 blocks; the per-block rules are those of messages.
        const errors = validateBlocks(view.blocks.slice(0, 50));
        if (view.blocks.length > 100) errors.push('must be less than 101 items [json-pointer:/view/blocks]');
        if (errors.length > 0) return fail('invalid_blocks', { response_metadata: { messages: errors } });
        this.homeViews.push({ user, blocks: view.blocks });
        this.touch(`home:${user}`);
        return ok({ view: { id: `V${this.homeViews.length}`, type: 'home', blocks: view.blocks } });
      }
      default:
        return fail('unknown_method');
    }
  }

  private reply(
    res: ServerResponse,
    method: string,
    args: Record<string, unknown>,
    status: number,
    body: Record<string, unknown>,
    retryAfter?: number,
  ): void {
    const { token: _t, ...safeArgs } = args;
    this.calls.push({
      method,
      args: safeArgs,
      status,
      ok: body.ok === true,
      error: typeof body.error === 'string' ? body.error : undefined,
      at: Date.now(),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  private handleResponseUrl(id: string, req: IncomingMessage, raw: string, res: ServerResponse): boolean {
    const state = this.responseUrls.get(id);
    const answer = (
      status: number,
      body: Record<string, unknown>,
      payload: Record<string, unknown> = {},
    ): true => {
      this.responseUrlPosts.push({ id, status, body: payload });
      this.touch(id);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return true;
    };
    if (!state) return answer(404, { ok: false, error: 'expired_url' });
    let payload: Record<string, unknown>;
    try {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('not json');
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return answer(400, { ok: false, error: 'invalid_payload' });
    }
    state.uses += 1;
    if (state.uses > MAX_RESPONSE_URL_USES) return answer(404, { ok: false, error: 'used_url' }, payload);
    const msg = messageArgs(payload);
    if ('error' in msg) return answer(400, { ok: false, error: msg.error, ...msg.extra }, payload);
    if (payload.replace_original === true && state.messageTs) {
      const original = this.message(state.channel, state.messageTs);
      if (original) {
        original.edits.push({ text: msg.text, blocks: msg.blocks });
        return answer(200, { ok: true }, payload);
      }
    }
    if (payload.response_type === 'in_channel') {
      const stored: StoredMessage = {
        channel: state.channel,
        ts: this.nextTs(),
        text: msg.text,
        blocks: msg.blocks,
        edits: [],
        via: 'response_url',
      };
      if (typeof payload.thread_ts === 'string') stored.threadTs = payload.thread_ts;
      this.messages.push(stored);
    } else {
      const eph: Ephemeral = {
        channel: state.channel,
        user: state.user,
        text: msg.text,
        blocks: msg.blocks,
        via: 'response_url',
      };
      if (payload.replace_original === true) eph.replaceOriginal = true;
      this.ephemerals.push(eph);
    }
    return answer(200, { ok: true }, payload);
  }
}

/** Starts a stand-in on 127.0.0.1 with a free port. */
export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  return new SlackStandIn(opts).start();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** Web API arguments: form-encoded (what @slack/web-api sends; objects JSON-encoded in a field) or a JSON body. */
function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.startsWith('application/json'))
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function isChannel(id: string): boolean {
  return /^[CGD][A-Z0-9]{2,}$/.test(id);
}

/** Reads text + blocks of a message and checks them the way Slack does. */
function messageArgs(
  args: Record<string, unknown>,
): { text: string; blocks: unknown[] } | { error: string; extra?: Record<string, unknown> } {
  let blocks: unknown = args.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return { error: 'invalid_blocks_format' };
    }
  }
  if (blocks === undefined || blocks === null) blocks = [];
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  const text = str(args.text);
  if (!text && blocks.length === 0) return { error: 'no_text' };
  if (text.length > 40_000) return { error: 'msg_too_long' };
  const errors = validateBlocks(blocks);
  if (errors.length > 0) {
    return {
      error: 'invalid_blocks',
      extra: { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } },
    };
  }
  return { text, blocks };
}

const KNOWN_BLOCKS = new Set([
  'header',
  'section',
  'context',
  'divider',
  'actions',
  'image',
  'rich_text',
  'markdown',
]);

/**
 * Block Kit limits for messages (https://docs.slack.dev/reference/block-kit/blocks): 50 blocks; header 150 plain_text;
 * section text 3000, up to 10 fields of 2000; context up to 10 elements; actions up to 25 elements; button text 75,
 * value 2000, action_id 255 and unique in the message; block_id 255 and unique; confirm title 100, text 300, buttons 30.
 * Returns Slack-style error strings (`… [json-pointer:/blocks/3/text/text]`); empty when valid.
 */
export function validateBlocks(blocks: unknown[]): string[] {
  const errors: string[] = [];
  const err = (msg: string, ptr: string) => errors.push(`${msg} [json-pointer:${ptr}]`);
  if (blocks.length > 50) err('must be less than 51 items', '/blocks');
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();

  const text = (t: unknown, ptr: string, max: number, plainOnly = false) => {
    if (!isObj(t)) return err('must provide an object', ptr);
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn')
      return err('must be a valid enum value', `${ptr}/type`);
    if (plainOnly && t.type !== 'plain_text') return err('must be a valid enum value', `${ptr}/type`);
    if (typeof t.text !== 'string' || t.text.length === 0)
      return err('must be more than 0 characters', `${ptr}/text`);
    if (t.text.length > max) err(`must be less than ${max + 1} characters`, `${ptr}/text`);
  };
  const button = (e: unknown, ptr: string) => {
    if (!isObj(e)) return err('must provide an object', ptr);
    if (e.type !== 'button') return err('unsupported type', `${ptr}/type`);
    text(e.text, `${ptr}/text`, 75, true);
    actionId(e.action_id, `${ptr}/action_id`);
    if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000))
      err('must be less than 2001 characters', `${ptr}/value`);
    if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000))
      err('must be less than 3001 characters', `${ptr}/url`);
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
      err('must be a valid enum value', `${ptr}/style`);
    if (e.confirm !== undefined) {
      const c = e.confirm;
      if (!isObj(c)) return err('must provide an object', `${ptr}/confirm`);
      text(c.title, `${ptr}/confirm/title`, 100, true);
      text(c.text, `${ptr}/confirm/text`, 300);
      text(c.confirm, `${ptr}/confirm/confirm`, 30, true);
      text(c.deny, `${ptr}/confirm/deny`, 30, true);
      if (c.style !== undefined && c.style !== 'primary' && c.style !== 'danger')
        err('must be a valid enum value', `${ptr}/confirm/style`);
    }
  };
  const actionId = (id: unknown, ptr: string) => {
    if (id === undefined) return;
    if (typeof id !== 'string' || id.length === 0 || id.length > 255)
      return err('must be less than 256 characters', ptr);
    if (actionIds.has(id)) err(`action_id '${id}' already exists`, ptr);
    actionIds.add(id);
  };

  for (const [i, b] of blocks.entries()) {
    const ptr = `/blocks/${i}`;
    if (!isObj(b)) {
      err('must provide an object', ptr);
      continue;
    }
    if (typeof b.type !== 'string' || !KNOWN_BLOCKS.has(b.type)) {
      err('unsupported type', `${ptr}/type`);
      continue;
    }
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length === 0 || b.block_id.length > 255)
        err('must be less than 256 characters', `${ptr}/block_id`);
      else if (blockIds.has(b.block_id)) err(`block_id '${b.block_id}' already exists`, `${ptr}/block_id`);
      else blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        text(b.text, `${ptr}/text`, 150, true);
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) err('must provide either text or fields', ptr);
        if (b.text !== undefined) text(b.text, `${ptr}/text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0)
            err('must provide an array', `${ptr}/fields`);
          else {
            if (b.fields.length > 10) err('must be less than 11 items', `${ptr}/fields`);
            for (const [j, f] of b.fields.entries()) text(f, `${ptr}/fields/${j}`, 2000);
          }
        }
        if (b.accessory !== undefined) button(b.accessory, `${ptr}/accessory`);
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0)
          err('must provide an array', `${ptr}/elements`);
        else {
          if (b.elements.length > 10) err('must be less than 11 items', `${ptr}/elements`);
          for (const [j, e] of b.elements.entries()) {
            if (!(isObj(e) && e.type === 'image')) text(e, `${ptr}/elements/${j}`, 3000);
          }
        }
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0)
          err('must provide an array', `${ptr}/elements`);
        else {
          if (b.elements.length > 25) err('must be less than 26 items', `${ptr}/elements`);
          for (const [j, e] of b.elements.entries()) button(e, `${ptr}/elements/${j}`);
        }
        break;
      case 'markdown':
        if (typeof b.text !== 'string' || b.text.length === 0 || b.text.length > 12_000)
          err('must be between 1 and 12000 characters', `${ptr}/text`);
        break;
      default:
        break;
    }
  }
  return errors;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Blocks as plain text (headers, sections, fields, context, button labels), for assertions. */
export function flattenBlocks(blocks: unknown[]): string {
  const out: string[] = [];
  const take = (t: unknown) => {
    if (isObj(t) && typeof t.text === 'string') out.push(t.text);
  };
  for (const b of blocks) {
    if (!isObj(b)) continue;
    if (typeof b.text === 'string') out.push(b.text);
    else take(b.text);
    if (Array.isArray(b.fields)) for (const f of b.fields) take(f);
    if (Array.isArray(b.elements))
      for (const e of b.elements) {
        if (isObj(e) && e.type === 'button') take(e.text);
        else take(e);
      }
    if (isObj(b.accessory)) take(b.accessory.text);
  }
  return out.join('\n');
}
