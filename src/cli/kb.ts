import { existsSync } from 'node:fs';
import path from 'node:path';
import { renderTable } from '../bench/table.js';
import type { Config } from '../config.js';
import { openKnowledgeBase, type KbHit, type KnowledgeBase, type SearchMode } from '../knowledge/kb.js';

/** bin/sre-copilot kb …: the knowledge base from the command line; progress goes to stderr, answers to stdout. */
const progress = (line: string) => process.stderr.write(`${line}\n`);

async function withKb<T>(config: Config, fn: (kb: KnowledgeBase) => Promise<T>): Promise<T> {
  const kb = await openKnowledgeBase(config, { progress });
  try {
    return await fn(kb);
  } finally {
    await kb.close();
  }
}

export async function kbIngest(config: Config, target: string): Promise<number> {
  if (!existsSync(target)) throw new Error(`no such file or folder: ${target}`);
  return withKb(config, async (kb) => {
    const r = await kb.ingestPath(target, { progress });
    for (const e of r.errors) process.stderr.write(`skipped ${e.file}: ${e.message}\n`);
    process.stdout.write(`${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged${r.errors.length ? `, ${r.errors.length} file(s) skipped` : ''}\n`);
    return r.errors.length > 0 ? 1 : 0;
  });
}

export async function kbSearch(config: Config, query: string, opts: { json?: boolean; k?: number; mode?: SearchMode; service?: string; tag?: string[] }): Promise<void> {
  const hits = await withKb(config, (kb) =>
    kb.search(query, { k: opts.k ?? 5, ...(opts.mode ? { mode: opts.mode } : {}), ...(opts.service ? { service: opts.service } : {}), ...(opts.tag ? { tags: opts.tag } : {}) }),
  );
  if (opts.json) {
    const results = hits.map((h) => ({ source: h.source, title: h.title, score: round(h.score), snippet: h.snippet, kind: h.kind }));
    process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
    return;
  }
  if (hits.length === 0) process.stdout.write('No match in the knowledge base.\n');
  else process.stdout.write(`${hits.map((h, i) => formatHit(h, i)).join('\n\n')}\n`);
}

/** Without an LLM, the answer is the best passages with where they come from. */
export async function kbAsk(config: Config, question: string, opts: { k?: number; json?: boolean }): Promise<void> {
  const hits = await withKb(config, (kb) => kb.search(question, { k: opts.k ?? 3 }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ question, passages: hits.map((h) => ({ kind: h.kind, source: h.source, title: h.title, passage: h.snippet })) }, null, 2)}\n`);
    return;
  }
  if (hits.length === 0) {
    process.stdout.write('The knowledge base has nothing on this.\n');
    return;
  }
  process.stdout.write(`From the knowledge base (best passages first; no LLM configured to summarise them):\n\n${hits.map((h, i) => formatHit(h, i)).join('\n\n')}\n`);
}

export async function kbList(config: Config, opts: { json?: boolean }): Promise<void> {
  const docs = await withKb(config, async (kb) => kb.list());
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ documents: docs }, null, 2)}\n`);
    return;
  }
  const cwd = process.cwd();
  process.stdout.write(`${renderTable(['kind', 'title', 'chunks', 'source'], docs.map((d) => [d.kind, d.title.slice(0, 60), d.chunks, shorten(d.source, cwd)]))}\n${docs.length} document(s)\n`);
}

export async function kbRemove(config: Config, source: string): Promise<number> {
  return withKb(config, async (kb) => {
    let n = await kb.remove(source);
    if (n === 0 && path.resolve(source) !== source) n = await kb.remove(path.resolve(source));
    process.stdout.write(n === 0 ? `nothing stored under ${source}\n` : `removed ${n} document(s)\n`);
    return n === 0 ? 1 : 0;
  });
}

function formatHit(h: KbHit, i: number): string {
  return `${i + 1}. [${h.kind}] ${h.title}  (${round(h.score)})\n   ${shorten(h.source, process.cwd())}\n   ${h.snippet}`;
}

function shorten(source: string, cwd: string): string {
  return source.startsWith(cwd + path.sep) ? path.relative(cwd, source) : source;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
