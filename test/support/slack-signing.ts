import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signs and sends requests the way Slack does (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), timestamp in seconds.
 */
export function slackSignature(secret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  timestampSec?: number;
  /** Leave the signature headers out altogether. */
  unsigned?: boolean;
  /** Sign with this secret instead (a wrong signature). */
  secret?: string;
}

/** Headers Slack sends with a form-encoded request (content-type exactly, no charset: Bolt compares it verbatim). */
export function signedHeaders(
  secret: string,
  rawBody: string,
  opts: SignOptions = {},
): Record<string, string> {
  const ts = opts.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (!opts.unsigned) {
    headers['x-slack-request-timestamp'] = String(ts);
    headers['x-slack-signature'] = slackSignature(opts.secret ?? secret, ts, rawBody);
  }
  return headers;
}

export interface SlashCommandFields {
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
  user_name?: string;
  channel_name?: string;
  team_id?: string;
  command?: string;
}

/** The form body of a `/redis` slash command, with every field Slack sends. */
export function slashCommandBody(f: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: f.team_id ?? 'T0MEDIC01',
    team_domain: 'medic',
    channel_id: f.channel_id,
    channel_name: f.channel_name ?? 'incidents',
    user_id: f.user_id,
    user_name: f.user_name ?? f.user_id.toLowerCase(),
    command: f.command ?? '/redis',
    text: f.text,
    api_app_id: 'A0MEDIC01',
    is_enterprise_install: 'false',
    response_url: f.response_url,
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`,
  }).toString();
}

export interface BlockActionFields {
  user_id: string;
  channel_id: string;
  message_ts: string;
  thread_ts?: string;
  action_id: string;
  value: string;
  block_id?: string;
  response_url: string;
  /** The blocks of the message that carried the button, as Slack echoes them. */
  message_blocks?: unknown[];
}

/** The `payload` JSON of a block_actions request (a button click), as Slack sends it. */
export function blockActionPayload(f: BlockActionFields): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: {
      id: f.user_id,
      username: f.user_id.toLowerCase(),
      name: f.user_id.toLowerCase(),
      team_id: 'T0MEDIC01',
    },
    api_app_id: 'A0MEDIC01',
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: f.message_ts,
      channel_id: f.channel_id,
      is_ephemeral: false,
      ...(f.thread_ts ? { thread_ts: f.thread_ts } : {}),
    },
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`,
    team: { id: 'T0MEDIC01', domain: 'medic' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: f.channel_id, name: 'incidents' },
    message: {
      type: 'message',
      ts: f.message_ts,
      ...(f.thread_ts ? { thread_ts: f.thread_ts } : {}),
      text: '',
      blocks: f.message_blocks ?? [],
    },
    state: { values: {} },
    response_url: f.response_url,
    actions: [
      {
        action_id: f.action_id,
        block_id: f.block_id ?? 'plan_actions',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: f.value,
        type: 'button',
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  };
}

export function blockActionBody(f: BlockActionFields): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(f)) }).toString();
}

export interface SlackPostResult {
  status: number;
  body: string;
  ms: number;
}

/** POSTs a raw body to the app's events endpoint as Slack would. */
export async function postToApp(
  url: string,
  secret: string,
  rawBody: string,
  opts: SignOptions = {},
): Promise<SlackPostResult> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(secret, rawBody, opts),
    body: rawBody,
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

/** An Events API request body (`event_callback`), as Slack sends it: JSON, signed the same way. */
export function eventCallbackBody(event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0MEDIC01',
    api_app_id: 'A0MEDIC01',
    event: { event_ts: `${Math.floor(Date.now() / 1000)}.000100`, ...event },
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
  });
}
