import type { ChatChannel, ChatMessage, MessageBlock, PostedRef, ThreadRef } from '../chat/channel.js';
import { processSettings } from '../config.js';
import { PLAIN_STYLE, renderInline, type InlineStyle } from '../chat/format.js';

export interface ConsoleChannelOptions {
  /** where to print; default process.stdout; null prints nothing (the transcript is still kept) */
  stream?: NodeJS.WritableStream | null;
  /** force colours on/off; default: on when the stream is a TTY and NO_COLOR is unset */
  color?: boolean;
  /** environment consulted for NO_COLOR / FORCE_COLOR (through config.ts); default the process's */
  env?: Record<string, string | undefined>;
}

const GUTTER = '│ ';
const ANSI = {
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
  italic: (s: string) => `\x1b[3m${s}\x1b[23m`,
  cyan: (s: string) => `\x1b[36m${s}\x1b[39m`,
  green: (s: string) => `\x1b[32m${s}\x1b[39m`,
  red: (s: string) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[39m`,
  underline: (s: string) => `\x1b[4m${s}\x1b[24m`,
};
const ANSI_RE = /\x1b\[[0-9;]*m/g;

const COLOR_STYLE: InlineStyle = {
  bold: ANSI.bold,
  italic: ANSI.italic,
  code: ANSI.cyan,
  link: (text, url) => (text === url ? ANSI.underline(url) : `${text} (${ANSI.underline(url)})`),
};

/**
 * Prints a chat thread to a terminal: the root message flush left, replies behind a "│ " gutter, updates prefixed
 * with "↻". Keeps an ANSI-free transcript for tests and for saving a session.
 */
export class ConsoleChannel implements ChatChannel {
  readonly name = 'console';
  private readonly stream: NodeJS.WritableStream | null;
  private readonly color: boolean;
  private readonly lines: string[] = [];
  private threads = 0;
  private readonly counters = new Map<string, number>();
  private readonly roots = new Set<string>();

  constructor(options: ConsoleChannelOptions = {}) {
    this.stream = options.stream === undefined ? process.stdout : options.stream;
    const { noColor, forceColor } = processSettings(options.env);
    const isTty = (this.stream as { isTTY?: boolean } | null)?.isTTY === true;
    this.color = options.color ?? (!noColor && (isTty || forceColor));
  }

  async post(thread: ThreadRef | null, message: ChatMessage): Promise<PostedRef> {
    const threadId = thread?.threadId ?? `console-${++this.threads}`;
    const n = (this.counters.get(threadId) ?? 0) + 1;
    this.counters.set(threadId, n);
    const messageId = `${threadId}.${n}`;
    const isRoot = thread === null;
    if (isRoot) {
      this.roots.add(messageId);
      if (this.lines.length > 0) this.emit(['']);
      this.emit(renderMessage(message, this.color));
    } else {
      // A bare gutter line separates replies so that each message stays readable.
      this.emit(['', ...renderMessage(message, this.color)], GUTTER);
    }
    return { threadId, messageId };
  }

  /**
   * A terminal scrollback cannot edit an earlier message, so an update prints one compact line (the message's plain
   * text) instead of the whole message again; chat adapters edit in place.
   */
  async update(ref: PostedRef, message: ChatMessage): Promise<void> {
    const gutter = this.roots.has(ref.messageId) ? '' : GUTTER;
    const oneLine = message.text.split('\n').map((l) => l.trim()).filter(Boolean).join(' · ');
    this.emit([`↻ ${oneLine}`], gutter);
  }

  /** Everything printed so far, without ANSI codes. */
  transcript(): string {
    return this.lines.join('\n') + (this.lines.length ? '\n' : '');
  }

  private emit(lines: string[], gutter = ''): void {
    const out = lines.map((l) => (l === '' && gutter ? gutter.trimEnd() : `${gutter}${l}`));
    for (const l of out) this.lines.push(l.replace(ANSI_RE, ''));
    if (!this.stream) return;
    const g = this.color && gutter ? ANSI.dim(gutter) : gutter;
    const text = lines.map((l) => (l === '' && gutter ? g.trimEnd() : `${g}${l}`)).join('\n');
    this.stream.write(`${text}\n`);
  }
}

/** Renders a message to terminal lines (with ANSI when `color`). Exported for adapters that print previews. */
export function renderMessage(message: ChatMessage, color = false): string[] {
  const style = color ? COLOR_STYLE : PLAIN_STYLE;
  const paint = (fn: (s: string) => string, s: string) => (color ? fn(s) : s);
  const lines: string[] = [];
  const blocks = message.blocks?.length ? message.blocks : [{ type: 'section', text: message.text } as MessageBlock];
  for (const block of blocks) lines.push(...renderBlock(block, style, paint));
  for (const a of message.attachments ?? []) lines.push(`📎 ${a.title} → ${a.path}`);
  if (message.actions?.length) {
    lines.push(
      message.actions
        .map((a) => {
          const label = `[${a.label}]`;
          if (a.style === 'primary') return paint((s) => ANSI.bold(ANSI.green(s)), label);
          if (a.style === 'danger') return paint((s) => ANSI.bold(ANSI.red(s)), label);
          return paint(ANSI.bold, label);
        })
        .join(' '),
    );
  }
  return lines.length ? lines : [''];
}

function renderBlock(
  block: MessageBlock,
  style: InlineStyle,
  paint: (fn: (s: string) => string, s: string) => string,
): string[] {
  switch (block.type) {
    case 'header':
      return [paint(ANSI.bold, block.text)];
    case 'section':
      return block.text.split('\n').map((l) => renderInline(l, style));
    case 'fields':
      return block.fields.map((f) => `${paint(ANSI.dim, `${f.label}:`)} ${renderInline(f.value, style)}`);
    case 'context':
      return block.text.split('\n').map((l) => paint(ANSI.dim, renderInline(l)));
    case 'divider':
      return [paint(ANSI.dim, '─'.repeat(40))];
    case 'code':
      return block.text.split('\n').map((l) => `  ${paint(ANSI.cyan, l)}`);
  }
}
