import { createHash } from 'node:crypto';

export interface Chunk {
  /** stable across re-ingests while the source, heading path and position are the same */
  id: string;
  source: string;
  ordinal: number;
  headingPath: string[];
  text: string;
}

/** Soft size limit of a chunk: passages of a few paragraphs, so a snippet answers and the lexical scores stay local. */
const MAX_CHARS = 1200;

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const LIST_ITEM = /^\s*(?:\d+[.)]|[-*+])\s+/;

/**
 * Structure-aware chunking of Markdown: one run of chunks per heading section, paragraphs packed up to MAX_CHARS, and a
 * numbered or bulleted list always kept whole (a runbook's steps are read together or not at all).
 */
export function chunkMarkdown(source: string, markdown: string): Chunk[] {
  const sections: { headingPath: string[]; lines: string[] }[] = [{ headingPath: [], lines: [] }];
  const stack: { level: number; title: string }[] = [];
  let inFence = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      while (stack.length > 0 && stack.at(-1)!.level >= level) stack.pop();
      stack.push({ level, title: heading[2]! });
      sections.push({ headingPath: stack.map((h) => h.title), lines: [] });
    } else sections.at(-1)!.lines.push(line);
  }
  const chunks: Chunk[] = [];
  for (const section of sections) {
    const blocks = splitBlocks(section.lines);
    if (blocks.length === 0) continue;
    let ordinal = 0;
    let current = '';
    const flush = () => {
      if (!current.trim()) return;
      chunks.push({ id: chunkId(source, section.headingPath, ordinal), source, ordinal: ordinal++, headingPath: section.headingPath, text: current.trim() });
      current = '';
    };
    for (const block of blocks) {
      if (current && current.length + block.length + 2 > MAX_CHARS) flush();
      if (block.length > MAX_CHARS && !LIST_ITEM.test(block)) {
        for (const piece of splitLongParagraph(block)) {
          if (current && current.length + piece.length + 1 > MAX_CHARS) flush();
          current = current ? `${current} ${piece}` : piece;
        }
      } else current = current ? `${current}\n\n${block}` : block;
    }
    flush();
  }
  return chunks;
}

export function chunkId(source: string, headingPath: string[], ordinal: number): string {
  return createHash('sha1').update(`${source}\n${headingPath.join('\u001f')}\n${ordinal}`).digest('hex').slice(0, 20);
}

/** Paragraphs and lists; a list runs on through its items' indented continuation lines and blank lines between items. */
function splitBlocks(lines: string[]): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  let inList = false;
  let inFence = false;
  const flush = () => {
    const text = current.join('\n').trim();
    if (text) blocks.push(text);
    current = [];
    inList = false;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) {
      current.push(line);
      continue;
    }
    if (!line.trim()) {
      const next = lines.slice(i + 1).find((l) => l.trim());
      if (inList && next !== undefined && (LIST_ITEM.test(next) || /^\s{2,}\S/.test(next))) current.push(line);
      else flush();
      continue;
    }
    if (LIST_ITEM.test(line) && !inList) {
      if (current.length > 0 && !/:\s*$/.test(current.at(-1)!)) flush();
      inList = true;
    }
    current.push(line);
  }
  flush();
  return blocks;
}

function splitLongParagraph(text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z0-9"(])/).flatMap((s) => (s.length > MAX_CHARS ? s.match(new RegExp(`.{1,${MAX_CHARS}}(\\s|$)`, 'g')) ?? [s] : [s]));
}
