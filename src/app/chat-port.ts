/**
 * The chat boundary, transport-agnostic. Messages are Block Kit JSON (our lingua franca): Slack sends them
 * as they are, the console draws them as text. The Slack adapter and the console each implement `ChatPort`
 * and call `ChatService` (src/app/chat/service.ts).
 */

/** A `plain_text` or `mrkdwn` text object. */
export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

/** A Block Kit confirm dialog (shown by Slack before a button's action is sent). */
export interface ConfirmDialog {
  title: { type: 'plain_text'; text: string };
  text: TextObject;
  confirm: { type: 'plain_text'; text: string };
  deny: { type: 'plain_text'; text: string };
  style?: 'primary' | 'danger';
}

export interface ButtonElement {
  type: 'button';
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  action_id: string;
  value?: string;
  /** A link button: Slack opens it (and still sends a block action, which the bot only acks). */
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export interface HeaderBlock {
  type: 'header';
  block_id?: string;
  text: { type: 'plain_text'; text: string; emoji?: boolean };
}
export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: ButtonElement;
}
export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: TextObject[];
}
export interface DividerBlock {
  type: 'divider';
  block_id?: string;
}
export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: ButtonElement[];
}

/** The subset of Block Kit we render. */
export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock | ActionsBlock;

/** One chat message: `text` is the notification / fallback text, `blocks` the layout. */
export interface ChatMessage {
  text: string;
  blocks: Block[];
}

/** Where messages go. Slack: chat.postMessage / chat.update / chat.postEphemeral. Console: the terminal. */
export interface ChatPort {
  /** Posts in a channel, or in a thread when `threadTs` is given. Returns the new message's ts. */
  post(channel: string, msg: ChatMessage, opts?: { threadTs?: string }): Promise<{ ts: string }>;
  /** Replaces a message in place. */
  update(channel: string, ts: string, msg: ChatMessage): Promise<void>;
  /** A message only `user` sees. */
  postEphemeral(channel: string, user: string, msg: ChatMessage): Promise<void>;
}

/**
 * Answers the request that came in (Slack: `respond()` to the response_url; console: print).
 * `ephemeral` (default true): only the requester sees it. `replaceOriginal`: replace the message the
 * button was on (actions only).
 */
export type Respond = (
  msg: ChatMessage,
  opts?: { ephemeral?: boolean; replaceOriginal?: boolean },
) => Promise<void>;

/** A `/redis …` command, after the transport has acked it. */
export interface CommandRequest {
  /** Slack-shaped user id, e.g. U0123ABCD. */
  user: string;
  channel: string;
  /** The text after `/redis`, e.g. `diagnose prod`. */
  text: string;
  respond: Respond;
}

/** A button click (`plan_approve` / `plan_reject`, value = plan id), after the transport has acked it. */
export interface ActionRequest {
  user: string;
  channel: string;
  /** ts of the message that carries the button. */
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  respond: Respond;
}

/** Transport-agnostic chat: Slack and the console both call it. Never throws: every path answers the user. */
export interface ChatService {
  handleCommand(req: CommandRequest): Promise<void>;
  handleAction(req: ActionRequest): Promise<void>;
  /** Subscribes to exec events and keeps plan messages and threads up to date. */
  start(): Promise<void>;
  /** The App Home tab of `user` (issue 19): clusters, open plans, the last audit entries. */
  homeView?(user: string): Promise<Block[]>;
  stop(): Promise<void>;
}

/** Action ids of the plan buttons. */
export const ActionIds = {
  approve: 'plan_approve',
  reject: 'plan_reject',
  /** On a "No plan" answer for a shard lost for good: run `diagnose --accept-data-loss` (value = cluster). */
  acceptDataLoss: 'diagnose_accept_data_loss',
  /** "Share in channel" on a private diagnose (issue 19): diagnose again, in the channel, for approval. */
  share: 'diagnose_share',
} as const;
