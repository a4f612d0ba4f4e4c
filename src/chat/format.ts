import { redact } from '../redaction/redact.js';

/**
 * Helpers for the chat Markdown subset described in channel.ts. Untrusted text goes through `escapeChat` (redacted,
 * punctuation backslash-escaped, `<>&` as entities) so that it can neither format nor mention (`<!channel>`).
 */

export function escapeChat(text: string): string {
  return redact(text)
    .replace(/\r\n?/g, '\n')
    .replace(/[\\`*_[\]~|]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Inline code with untrusted content: redacted, single line, backticks replaced (chat code spans cannot escape them). */
export function chatCode(text: string): string {
  const t = redact(text).replace(/\s*\r?\n\s*/g, ' ').replace(/`/g, 'ʼ');
  return `\`${t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}\``;
}

export function bold(markdown: string): string {
  return `**${markdown}**`;
}

/** ▇▇▇▁▁ for 0.6 (five cells by default). */
export function scoreBar(score: number, cells = 5): string {
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  const filled = Math.round(s * cells);
  return '▇'.repeat(filled) + '▁'.repeat(cells - filled);
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Undoes escapeChat for plain-text renderers: removes backslash escapes and decodes the three entities. */
export function unescapeChat(text: string): string {
  return text
    .replace(/\\([\\`*_[\]~|])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface InlineStyle {
  bold: (s: string) => string;
  italic: (s: string) => string;
  code: (s: string) => string;
  link: (text: string, url: string) => string;
}

export const PLAIN_STYLE: InlineStyle = {
  bold: (s) => s,
  italic: (s) => s,
  code: (s) => s,
  link: (text, url) => (text === url ? url : `${text} (${url})`),
};

/**
 * Renders the chat Markdown subset to text with the given styling: escapes become literals, `**b**`, `_i_`,
 * `` `c` `` and `[t](u)` become styled runs, entities are decoded. Unknown or unbalanced markup stays as typed.
 */
export function renderInline(md: string, style: InlineStyle = PLAIN_STYLE): string {
  let out = '';
  let i = 0;
  const n = md.length;
  while (i < n) {
    const c = md[i]!;
    if (c === '\\' && i + 1 < n && /[\\`*_[\]~|]/.test(md[i + 1]!)) {
      out += md[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = md.indexOf('`', i + 1);
      if (end > i) {
        out += style.code(decodeEntities(md.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    if (c === '*' && md[i + 1] === '*') {
      const end = findClosing(md, '**', i + 2);
      if (end > i + 2) {
        out += style.bold(renderInline(md.slice(i + 2, end), style));
        i = end + 2;
        continue;
      }
    }
    if (c === '_' && (i === 0 || /[\s(]/.test(md[i - 1]!))) {
      const end = findClosing(md, '_', i + 1);
      if (end > i + 1 && (end + 1 >= n || /[\s).,;:!?]/.test(md[end + 1]!))) {
        out += style.italic(renderInline(md.slice(i + 1, end), style));
        i = end + 1;
        continue;
      }
    }
    if (c === '[') {
      const m = /^\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)/.exec(md.slice(i));
      if (m) {
        out += style.link(renderInline(m[1]!, PLAIN_STYLE), decodeEntities(m[2]!));
        i += m[0].length;
        continue;
      }
    }
    if (c === '&') {
      const m = /^&(lt|gt|amp);/.exec(md.slice(i, i + 5));
      if (m) {
        out += m[1] === 'lt' ? '<' : m[1] === 'gt' ? '>' : '&';
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** Index of the next unescaped `token` at or after `from`, or -1. */
function findClosing(md: string, token: string, from: number): number {
  for (let j = from; j <= md.length - token.length; j++) {
    if (md[j] === '\\') {
      j++;
      continue;
    }
    if (md.startsWith(token, j)) return j;
  }
  return -1;
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
