import { redact } from '../redaction/redact.js';

/**
 * Markdown helpers for untrusted text (log lines, alert text, evidence). Text is redacted first, then escaped so that
 * it renders literally: no raw HTML, no links or emphasis smuggled in, pipes safe inside tables.
 */

/** Escapes CommonMark punctuation and HTML-sensitive characters; newlines become spaces. For inline use. */
export function escapeMarkdown(text: string): string {
  return redact(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|~^$]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^(\s*)([-=]{3,}|-(?=\s)|\d+(?=[.)]\s))/, (_m, sp: string, mark: string) => `${sp}\\${mark}`);
}

/** A table cell: escaped, pipes escaped, trimmed to `max` characters. */
export function escapeCell(text: string, max = 200): string {
  return escapeMarkdown(truncate(text, max)).trim() || ' ';
}

/** An inline code span that survives backticks in the text; redacted, single line. */
export function codeSpan(text: string, inTable = false): string {
  const t = redact(text).replace(/\r?\n|\r/g, ' ');
  const runs = t.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || /^ .* $/.test(t) ? ' ' : '';
  // Inside tables a pipe ends the cell even in code spans (GFM), so it is escaped there (and renders as "|").
  return `${fence}${pad}${inTable ? t.replace(/\|/g, '\\|') : t}${pad}${fence}`;
}

/** A fenced code block for multi-line untrusted text (redacted; the fence is longer than any backtick run). */
export function codeBlock(text: string, lang = ''): string {
  const t = redact(text).replace(/\r\n?/g, '\n');
  const runs = t.match(/`{3,}/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}${lang}\n${t}\n${fence}`;
}

/** Link destination: only http(s) URLs and relative paths; anything else (javascript:, data:) gives undefined. */
export function safeUrl(ref: string): string | undefined {
  const r = ref.trim();
  if (/^https?:\/\/[^\s<>"]+$/i.test(r)) return r.replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29')).replace(/ /g, '%20');
  if (/^[a-z][a-z0-9+.-]*:/i.test(r) || r.startsWith('//')) return undefined;
  if (/^[\w./@~-][^\s<>"]*$/.test(r) || /^[\w./@~ -]+$/.test(r)) return encodeURI(r.replace(/\\/g, '/')).replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'));
  return undefined;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
