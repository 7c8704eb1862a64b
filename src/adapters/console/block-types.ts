/** The parts of Block Kit the console reads; unknown block and element types are shown as a one-line placeholder. */
export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export interface ConfirmObject {
  title?: TextObject;
  text?: TextObject;
  confirm?: TextObject;
  deny?: TextObject;
  style?: 'primary' | 'danger';
}

export interface BlockElement {
  type: string;
  text?: TextObject | string;
  action_id?: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmObject;
  alt_text?: string;
  placeholder?: TextObject;
  elements?: BlockElement[];
  [key: string]: unknown;
}

export interface Block {
  type: string;
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: BlockElement;
  elements?: BlockElement[];
  alt_text?: string;
  title?: TextObject;
  [key: string]: unknown;
}

/** A chat message as the ChatPort carries it. */
export interface MessageLike {
  text?: string;
  blocks?: Block[] | readonly unknown[];
}

/** A button the person can press by typing its number. */
export interface NumberedButton {
  /** 1-based, as printed: `[1] Approve`. */
  index: number;
  label: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  url?: string;
  /** The confirm dialog, flattened to text: asked as a y/N question. */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export interface RenderOptions {
  /** ANSI colours on or off. */
  color: boolean;
  /** Width used for dividers and wrapping of columns (default 80). */
  width?: number;
}

export interface RenderedMessage {
  /** Lines, without a trailing newline. */
  text: string;
  buttons: NumberedButton[];
}
