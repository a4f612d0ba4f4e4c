import type { ThreadRef } from '../model/incident.js';

export type { ThreadRef } from '../model/incident.js';

/**
 * Chat-agnostic message model. Section and context text use a small Markdown subset that every adapter can map:
 * `**bold**`, `_italic_`, `` `code` ``, `[text](url)`, and backslash escapes for literal punctuation (untrusted text is
 * escaped with `escapeChat` in messages.ts). `<`, `>` and `&` arrive as `&lt;`, `&gt;`, `&amp;` — what Slack expects;
 * other adapters decode them.
 */
/** header and fields labels are plain text; section/context/field values use the Markdown subset. */
export type MessageBlock =
  | { type: 'header'; text: string }
  | { type: 'section'; text: string }
  | { type: 'fields'; fields: { label: string; value: string }[] }
  | { type: 'context'; text: string }
  | { type: 'divider' }
  /** literal text (already redacted), shown verbatim; adapters escape it as their platform needs */
  | { type: 'code'; text: string; language?: string };

export interface ChatAction {
  /** stable id, e.g. "approve" */
  id: string;
  label: string;
  style?: 'primary' | 'danger';
  /** opaque payload returned when the action is chosen (e.g. "approve:plan-1:<hash>") */
  value: string;
}

export interface ChatAttachment {
  path: string;
  title: string;
}

export interface ChatMessage {
  /** plain-text fallback (notifications, clients without blocks); always present */
  text: string;
  blocks?: MessageBlock[];
  attachments?: ChatAttachment[];
  actions?: ChatAction[];
}

export interface PostedRef {
  threadId: string;
  messageId: string;
}

export interface ChatChannel {
  readonly name: string;
  /** How people reach a thread from elsewhere ("<#C123>"); default "its thread". */
  linkTo?(thread: ThreadRef): string;
  /** Posts a new root message (thread null → starts a thread) or a reply in `thread`. */
  post(thread: ThreadRef | null, message: ChatMessage): Promise<PostedRef>;
  /** Replaces a message posted earlier (progress updates). */
  update(ref: PostedRef, message: ChatMessage): Promise<void>;
}
